// Owns the Result type: expected failures are values, keyed on a `code` literal, never thrown.
// Programmer errors are assertions (see assert()), which stay on in production.

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });

/** A failure an operator or client can act on: a code, a message and, where known, the field. */
export interface Failure<C extends string = string> {
  readonly code: C;
  readonly message: string;
  readonly field?: string;
}

export const failure = <C extends string>(code: C, message: string, field?: string): Failure<C> =>
  field === undefined ? { code, message } : { code, message, field };

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** The error thrown across an async boundary when a Failure must travel as an exception. */
export class HerdError extends Error {
  override name = 'HerdError';
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  static from(f: Failure, status = 400): HerdError {
    return new HerdError(f.code, f.message, f.field, status);
  }
  toFailure(): Failure {
    return failure(this.code, this.message, this.field);
  }
}

export function unwrap<T>(r: Result<T, Failure>, status = 400): T {
  if (r.ok) return r.value;
  throw HerdError.from(r.error, status);
}
