import type { BuildResult, Lease } from '../index.js';
import type { BuildOutputEvent, BuildStepEvent } from './events.js';

interface Step {
  label: string;
  command: string;
  args: string[];
}

/** One build of the demo queue: a few real commands run on the worker's agent. */
export interface BuildRecipe {
  number: number;
  project: string;
  steps: Step[];
}

const PROJECTS = ['api', 'web', 'cli', 'docs', 'worker', 'sdk'];

/** Prints `count` lines, one every `ms` milliseconds: a stand-in for a compiler or test run. */
const ticking = (node: string, label: string, count: number, ms: number): Step => ({
  label,
  command: node,
  args: [
    '-e',
    `let n = 0; const t = setInterval(() => { console.log(\`${label} \${++n}/${count}\`); if (n === ${count}) clearInterval(t); }, ${ms});`
  ]
});

/**
 * `count` builds cycling over a few projects; each checks its toolchain, compiles and tests.
 * `node` is how the instance calls Node: this one's path for processes on this machine,
 * `node` on the `PATH` in a container. Every step is a Node script, so that an image needs
 * nothing but Node.
 */
export function demoBuilds(count: number, node: string = process.execPath): BuildRecipe[] {
  return Array.from({ length: count }, (_, index) => {
    const project = PROJECTS[index % PROJECTS.length]!;
    return {
      number: index + 1,
      project,
      steps: [
        { label: 'toolchain', command: node, args: ['--version'] },
        // What `uname -sm` prints, without needing `uname` on the instance.
        { label: 'host', command: node, args: ['-p', 'os.type() + " " + os.machine()'] },
        ticking(node, `compile ${project}`, 3 + (index % 3), 150),
        ticking(node, `test ${project}`, 4, 120)
      ]
    };
  });
}

/** Runs a recipe through the lease; the first failing command fails the build. */
export async function runRecipe<P>(
  recipe: BuildRecipe,
  lease: Lease<P>,
  report: (event: BuildStepEvent | BuildOutputEvent) => void
): Promise<BuildResult> {
  const worker = lease.worker.name;
  const build = recipe.number;
  for (const [index, step] of recipe.steps.entries()) {
    report({
      type: 'step',
      build,
      worker,
      step: index + 1,
      steps: recipe.steps.length,
      command: step.label
    });
    const run = lease.exec(step.command, step.args, { env: { BUILD: String(build) } });
    const lines = run.output$.subscribe(({ data }) => {
      for (const line of data.split('\n'))
        if (line) report({ type: 'output', build, worker, line });
    });
    const { exitCode } = await run.finally(() => lines.unsubscribe());
    if (exitCode !== 0) return 'failure';
  }
  return 'success';
}
