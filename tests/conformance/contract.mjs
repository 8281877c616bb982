// The upstream channel's contract (docs/asyncapi.yaml) as a request validator: every request an
// upstream receives is classified (method, then ce-type) and checked against the header and
// payload schemas of its message, with ajv. Used by harness.mjs startUpstream() for every
// conformance test, and by asyncapi.test.mjs.
import { EventEmitter, once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Parser } from "@asyncapi/parser";
import Ajv from "ajv";

const here = path.dirname(fileURLToPath(import.meta.url));
export const contractPath = path.resolve(here, "../../docs/asyncapi.yaml");

// Parses `text` (an AsyncAPI document) with the official parser. Resolves to {document,
// diagnostics}; `errors` are the diagnostics of severity error (0).
export async function parseContract(text = fs.readFileSync(contractPath, "utf8")) {
  const { document, diagnostics } = await new Parser().parse(text);
  return { document, diagnostics, errors: diagnostics.filter((d) => d.severity === 0) };
}

// Every schema that constrains property `name` of an object schema (through allOf).
function propertySchemas(schema, name) {
  if (!schema || typeof schema !== "object") return [];
  const own = schema.properties?.[name] !== undefined ? [schema.properties[name]] : [];
  return own.concat(...(schema.allOf ?? []).map((s) => propertySchemas(s, name)));
}

function newAjv() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("binary", true); // AsyncAPI's "bytes as a string"; the payload is a latin1 string
  return ajv;
}

// Compiles the document into [{id, method, contentType, blocking, ceType, headers, payload}]:
// `method` from the operation's http binding, the validators compiled with ajv (throws if a
// schema does not compile).
export function compileContract(document) {
  const ajv = newAjv();
  const methodOf = new Map();
  for (const op of document.operations().all()) {
    const method = op.bindings().get("http")?.value()?.method ?? "POST";
    for (const m of op.messages().all()) methodOf.set(m.id(), method);
  }
  return document.messages().all().map((m) => {
    const headers = m.headers()?.json();
    const payload = m.hasPayload() ? m.payload().json() : undefined;
    const ceTypes = propertySchemas(headers, "ce-type");
    return {
      id: m.id(),
      method: methodOf.get(m.id()),
      contentType: m.contentType(),
      blocking: m.extensions().get("x-webpubsub-blocking")?.value(),
      ceType: ceTypes.length ? ajv.compile({ allOf: ceTypes }) : () => false,
      headers: headers ? ajv.compile(headers) : () => true,
      payload: payload ? ajv.compile(payload) : undefined,
    };
  });
}

let loaded;
// The compiled contract of docs/asyncapi.yaml, parsed once per process. Rejects if the document
// has errors.
export function loadContract() {
  loaded ??= parseContract().then(({ document, errors }) => {
    if (!document || errors.length) {
      throw new Error(`docs/asyncapi.yaml: ${errors.map((e) => e.message).join("; ")}`);
    }
    return compileContract(document);
  });
  return loaded;
}

const ajvText = (errors) =>
  (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`).join("; ");

// The body as the message's payload schema sees it: parsed JSON, UTF-8 text, or a latin1
// string of the bytes. Throws if the body is not what its content type says.
function decodeBody(contentType, body) {
  if (contentType === "application/json") return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  if (contentType === "text/plain") return new TextDecoder("utf-8", { fatal: true }).decode(body);
  return body.toString("latin1");
}

// Why `request` ({method, headers (lower-case names, as Node gives them), body: Buffer}) does
// not fit `message`; [] if it does.
function mismatches(message, { headers, body }) {
  const out = [];
  if (!message.headers(headers)) out.push(`headers: ${ajvText(message.headers.errors)}`);
  if (!message.payload) {
    if (body.length) out.push(`no body expected, got ${body.length} bytes`);
    return out;
  }
  let value;
  try {
    value = decodeBody(message.contentType, body);
  } catch (e) {
    out.push(`payload is not ${message.contentType}: ${e.message}`);
    return out;
  }
  if (!message.payload(value)) out.push(`payload: ${ajvText(message.payload.errors)}`);
  return out;
}

// Rules between headers that a JSON schema cannot state (docs/asyncapi.yaml, info.description).
function invariants(h) {
  const out = [];
  if (h["ce-source"] !== `/hubs/${h["ce-hub"]}/client/${h["ce-connectionid"]}`) {
    out.push(`ce-source "${h["ce-source"]}" is not /hubs/<ce-hub>/client/<ce-connectionId>`);
  }
  const user = "azure.webpubsub.user.";
  if (h["ce-type"]?.startsWith(user) && h["ce-type"] !== user + h["ce-eventname"]) {
    out.push(`ce-type "${h["ce-type"]}" does not end in ce-eventName "${h["ce-eventname"]}"`);
  }
  return out;
}

// Classifies `request` ({method, headers with lower-case names as Node gives them, body: Buffer}):
// {message: the id of the message it fits, or undefined; problems: [] if it is valid}. It must
// fit one message of its method (GET is the probe's fallback for OPTIONS) and, for events, of
// its ce-type; unknown ce-types are violations.
export function matchRequest(contract, request) {
  const method = request.method === "GET" ? "OPTIONS" : request.method;
  const h = request.headers;
  let candidates = contract.filter((m) => m.method === method);
  if (method === "POST") candidates = candidates.filter((m) => m.ceType(h["ce-type"]));
  if (!candidates.length) {
    const why = method === "POST" ? `unknown ce-type ${JSON.stringify(h["ce-type"])}` : `unexpected method ${request.method}`;
    return { message: undefined, problems: [why] };
  }
  // Report against the messages of the request's media type, if there are any.
  const media = (h["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const sameType = candidates.filter((m) => m.contentType === media);
  if (sameType.length) candidates = sameType;
  const reasons = [];
  for (const m of candidates) {
    const why = mismatches(m, request);
    if (!why.length) return { message: m.id, problems: method === "POST" ? invariants(h) : [] };
    reasons.push(`as ${m.id}: ${why.join("; ")}`);
  }
  return { message: undefined, problems: reasons };
}

// The contract violations of one request ([] if it is valid).
export const checkRequest = (contract, request) => matchRequest(contract, request).problems;

// Express middleware recording every request's body without consuming it (the handlers after
// it read the stream as usual) and reporting `onViolation({method, url, ceType, problems})` for
// a request that breaks the contract. `tracker` (a RequestTracker) counts the requests whose body
// has not ended yet and emits "checked" ({method, url, headers, body, message, problems}) for
// every request.
// The header a test puts on requests it crafts itself (deliberately malformed ones included) to
// exercise an upstream directly: they are not webpubsubd's, so the contract does not apply.
export const SYNTHETIC_HEADER = "x-conformance-synthetic";

export function contractMiddleware(contract, onViolation, tracker = new RequestTracker()) {
  return (req, res, next) => {
    if (req.headers[SYNTHETIC_HEADER] !== undefined) {
      next();
      return;
    }
    const chunks = [];
    const emit = req.emit;
    let open = true;
    tracker.begin();
    const finish = (ended) => {
      if (!open) return;
      open = false;
      tracker.end();
      if (!ended) return;
      const request = { method: req.method, headers: req.headers, body: Buffer.concat(chunks) };
      const { message, problems } = matchRequest(contract, request);
      tracker.emit("checked", { ...request, url: req.url, message, problems });
      if (problems.length) onViolation({ method: req.method, url: req.url, ceType: req.headers["ce-type"], problems });
    };
    req.emit = function (event, ...args) {
      if (event === "data") chunks.push(Buffer.from(args[0]));
      const result = emit.call(this, event, ...args);
      if (event === "end") finish(true);
      else if (event === "close" || event === "error") finish(false);
      return result;
    };
    next();
  };
}

// Violations seen by every upstream of this process; harness.mjs fails the test during which
// they were recorded (afterEach) and the upstream's close().
export const violations = [];

// Counts requests in progress; emits "idle" when none is left.
export class RequestTracker extends EventEmitter {
  pending = 0;
  begin() { this.pending++; }
  end() { if (--this.pending === 0) this.emit("idle"); }
  // Resolves once no request is in progress, or after `ms`.
  async idle(ms) {
    if (this.pending === 0) return;
    await Promise.race([once(this, "idle"), new Promise((r) => setTimeout(r, ms).unref())]);
  }
}
export const tracker = new RequestTracker();

// Throws (and forgets them) if violations were recorded.
export function assertNoViolations() {
  if (!violations.length) return;
  const text = violations.splice(0).map((v) => `${v.method} ${v.url} (ce-type ${v.ceType}): ${v.problems.join(" | ")}`);
  throw new Error(`upstream requests break docs/asyncapi.yaml:\n  ${text.join("\n  ")}`);
}
