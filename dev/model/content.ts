/** Text of a message's content: a string, or parts of which the text ones are read. */
export function contentText(content: string | ReadonlyArray<{ type: string; text?: string | undefined }>): {
  text: string;
  /** Non-text parts (images, files, audio): not read, only counted for usage. */
  mediaParts: number;
} {
  if (typeof content === "string") return { text: content, mediaParts: 0 };
  const texts = content.flatMap((part) => (typeof part.text === "string" ? [part.text] : []));
  return { text: texts.join("\n"), mediaParts: content.length - texts.length };
}
