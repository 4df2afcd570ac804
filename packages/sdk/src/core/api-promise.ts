/** What a response resolves to, with the raw response and its request id beside it. */
export interface WithResponse<T> {
  data: T;
  response: Response;
  requestID: string | undefined;
}

/**
 * The awaitable every method returns: awaiting it gives the parsed result; `.withResponse()`
 * and `.asResponse()` give access to the raw `Response` (headers, status) as well.
 */
export class APIPromise<T> extends Promise<T> {
  private parsed: Promise<T> | undefined;

  constructor(
    private readonly responsePromise: Promise<Response>,
    private readonly parse: (response: Response) => Promise<T>,
  ) {
    // The base promise is a placeholder: every `then` goes to the parsed result instead.
    super((resolve) => resolve(null as T));
  }

  // Derived promises (from then/catch) must be plain promises, not APIPromises.
  static override get [Symbol.species]() {
    return Promise;
  }

  /** The raw response, body unread. */
  asResponse(): Promise<Response> {
    return this.responsePromise;
  }

  /** The parsed result together with the raw response and its request id. */
  async withResponse(): Promise<WithResponse<T>> {
    const [data, response] = await Promise.all([this.result(), this.responsePromise]);
    return { data, response, requestID: response.headers.get('x-request-id') ?? undefined };
  }

  private result(): Promise<T> {
    this.parsed ??= this.responsePromise.then((r) => this.parse(r));
    return this.parsed;
  }

  // biome-ignore lint/suspicious/noThenProperty: being awaitable is the point of this class.
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result().then(onfulfilled, onrejected);
  }

  override catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.result().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.result().finally(onfinally);
  }
}
