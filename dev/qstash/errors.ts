/** An error answered to the API caller as QStash does: status + `{"error": message}`. */
export class QStashHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "QStashHttpError";
  }
}

export const badRequest = (message: string) => new QStashHttpError(400, message);
export const notFound = (message: string) => new QStashHttpError(404, message);
