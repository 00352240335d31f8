/** One HTTP call as the tests make it: bearer token and JSON body optional, the reply's JSON parsed. */
export interface HttpReply<B = unknown> {
  status: number;
  body: B;
  headers: Headers;
}

export async function call<B = unknown>(method: string, url: string, token?: string, body?: unknown): Promise<HttpReply<B>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as B };
}
