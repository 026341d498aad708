/**
 * Errors that reach a client are RFC 9457 problem documents (`application/problem+json`) with a
 * stable `type`, a human `title` and `detail`, and the offending `field` where there is one.
 */
export interface ProblemFieldError { field: string; message: string }

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    /** Short stable slug; the document's `type` is `urn:congno:problem:<slug>`. */
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly field?: string,
    readonly errors?: ProblemFieldError[],
  ) {
    super(detail ?? title);
  }
}

export const problemType = (slug: string): string => `urn:congno:problem:${slug}`;

export const badRequest = (detail: string, field?: string): ProblemError =>
  new ProblemError(400, 'validation', 'The request is not valid', detail, field, field ? [{ field, message: detail }] : undefined);
export const notFound = (detail: string): ProblemError => new ProblemError(404, 'not-found', 'Not found', detail);
export const conflict = (detail: string, slug = 'conflict'): ProblemError => new ProblemError(409, slug, 'Conflict', detail);
export const forbidden = (detail: string): ProblemError => new ProblemError(403, 'forbidden', 'Forbidden', detail);
export const unauthorized = (detail: string): ProblemError => new ProblemError(401, 'unauthorized', 'Authentication required', detail);
