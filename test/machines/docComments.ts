import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** A member of an object literal in the source: its doc comment, and its code. */
export interface Member {
  doc: string | undefined;
  code: string;
}

const MACHINE = new URL('../../src/machines/latentWorker/machine.ts', import.meta.url);
const GUARDS = new URL('../../src/machines/latentWorker/guards.ts', import.meta.url);

/** The guards of the latent-worker chart by name, as written in `guards.ts`. */
export const guardDocs = (): Map<string, Member> => membersOf(GUARDS, 'guards');
/** Its named actions, as written in the `setup()` of `machine.ts`. */
export const actionDocs = (): Map<string, Member> => membersOf(MACHINE, 'actions');
/** Its named delays, likewise. */
export const delayDocs = (): Map<string, Member> => membersOf(MACHINE, 'delays');

/**
 * The members of the object literal that `const owner = {…}` declares in `file`, or that is
 * the `owner` property of a `setup({…})` call: the words live beside the code they describe.
 */
function membersOf(file: URL, owner: string): Map<string, Member> {
  const source = ts.createSourceFile(
    file.pathname,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true
  );
  const found = find(source, (node): node is ts.VariableDeclaration | ts.PropertyAssignment => {
    if (ts.isVariableDeclaration(node)) return node.name.getText() === owner;
    if (!ts.isPropertyAssignment(node) || node.name.getText() !== owner) return false;
    const call = node.parent.parent;
    return ts.isCallExpression(call) && call.expression.getText() === 'setup';
  });
  const literal = found?.initializer;
  if (!literal || !ts.isObjectLiteralExpression(literal)) {
    throw new Error(`${file.pathname}: no object literal named ${owner}`);
  }
  return new Map(
    literal.properties.map((property) => [
      property.name?.getText() ?? '',
      {
        doc: docOf(property),
        code: ts.isPropertyAssignment(property)
          ? property.initializer.getText()
          : property.getText()
      }
    ])
  );
}

function find<T extends ts.Node>(root: ts.Node, test: (node: ts.Node) => node is T): T | undefined {
  if (test(root)) return root;
  return ts.forEachChild(root, (child) => find(child, test));
}

function docOf(node: ts.Node): string | undefined {
  const text = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
}
