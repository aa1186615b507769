/** How text and tool arguments are cut into stream deltas: word by word, arguments in fixed slices. */

const ARGUMENT_SLICE = 24;

export function textDeltas(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

export function argumentDeltas(argumentsJson: string): string[] {
  const slices: string[] = [];
  for (let at = 0; at < argumentsJson.length; at += ARGUMENT_SLICE) {
    slices.push(argumentsJson.slice(at, at + ARGUMENT_SLICE));
  }
  return slices;
}
