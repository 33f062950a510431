// The console's one way to the API: a client typed from the served OpenAPI
// document (schema.d.ts, `npm run types`), so a change of the contract that
// breaks the console breaks its build.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const key = "fangxian.token";

// The token lives in memory and in this tab's session storage: never in a
// URL, gone when the tab closes or the user signs out.
let token: string | null = sessionStorage.getItem(key);

export function signedIn(): boolean {
  return token !== null;
}

export function keepToken(t: string): void {
  token = t;
  sessionStorage.setItem(key, t);
}

/** Forgets the session: the token and whatever the pages kept beside it. */
export function signOut(): void {
  token = null;
  for (const k of Object.keys(sessionStorage)) if (k.startsWith("fangxian.")) sessionStorage.removeItem(k);
}

const auth: Middleware = {
  onRequest({ request }) {
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    request.headers.set("Accept-Language", "zh-CN");
    return request;
  },
  onResponse({ response }) {
    // An expired or revoked token signs the user out: the sign-in page shows.
    if (response.status === 401 && token) {
      signOut();
      window.dispatchEvent(new Event("fangxian:signed-out"));
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(auth);

/** The API's error envelope, in the user's language. */
export type ApiError = Schemas["Error"];

/** What to tell the user of a failed call: the API's message and its fields. */
export function explain(error: unknown): string {
  const e = (error as { error?: { message?: string; fields?: { field: string; reason: string }[] } })?.error;
  if (!e) return "网络异常，请稍后重试";
  const fields = (e.fields ?? []).map((f) => `${f.field}：${f.reason}`).join("；");
  return fields ? `${e.message}（${fields}）` : (e.message ?? "操作失败");
}
