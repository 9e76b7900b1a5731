// The grammar of an image reference, after distribution/reference (what `docker pull` accepts):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component [ "/" path-component ]*
// The first component is a domain only when it has a "." or a ":" or is "localhost", as in
// Docker's normalisation; otherwise it is a path component and must be lowercase.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

/**
 * Whether `reference` is a valid image reference, checked here so that every engine refuses
 * the same ones in the same words (Podman answers some with a 500, which reads as an outage).
 */
export function isImageReference(reference: string): boolean {
  const [nameAndTag = '', digest, ...extra] = reference.split('@');
  if (extra.length > 0 || (digest !== undefined && !DIGEST.test(digest))) return false;
  const slash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  if (hasTag && !TAG.test(nameAndTag.slice(colon + 1))) return false;
  if (name.length === 0 || name.length > NAME_MAX) return false;
  const components = name.split('/');
  const first = components[0]!;
  if (components.length > 1 && (/[.:]/.test(first) || first === 'localhost')) {
    if (!DOMAIN.test(first)) return false;
    components.shift();
  }
  return components.every((component) => PATH_COMPONENT.test(component));
}
