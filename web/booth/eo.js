// eo.js: the voter's side of eo in the browser. It loads eo's ballot
// encryption, compiled to WebAssembly from package booth (booth/wasm), and
// wraps it:
//
//   import * as eo from "./eo.js";
//   await eo.load();                    // once; eo.wasm and wasm_exec.js beside eo.js
//   const {line, receipt} = eo.encryptBallot({
//     electionId: "…",
//     questions: [{publicKey: "…", answers: 4, maxChoices: 1}],   // width? too
//     voterId: "voter-17",
//     choices: [[2]],                   // per question, 0-based answer ids
//   });
//   const audited = eo.auditBallot(request);      // … plus randomness: never cast it
//   const opened = eo.checkAudit({...request, line, randomness});  // {receipt, choices}
//
// Bad input (an unknown answer, too many choices, a key that is not a key,
// no voter id, …) throws an Error whose message says what is wrong; no
// ballot is made. doc/booth.md describes the requests and the results.

let api = null;
let loading = null;

// load fetches and starts the module (once; later calls return the same
// promise). wasmURL defaults to eo.wasm beside this file.
export function load(wasmURL) {
  if (loading) return loading;
  loading = (async () => {
    const base = new URL(".", import.meta.url);
    await import(new URL("wasm_exec.js", base).href);
    const go = new globalThis.Go();
    const ready = new Promise((resolve) => {
      globalThis.eoBoothReady = resolve;
    });
    const url = wasmURL || new URL("eo.wasm", base).href;
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`eo: loading ${url}: ${resp.status} ${resp.statusText}`);
    let result;
    if (WebAssembly.instantiateStreaming && (resp.headers.get("Content-Type") || "").startsWith("application/wasm")) {
      result = await WebAssembly.instantiateStreaming(resp, go.importObject);
    } else {
      result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
    }
    go.run(result.instance).then(() => {
      api = null; // the module exited: every later call fails clearly
    });
    await ready;
    api = globalThis.eoBooth;
    delete globalThis.eoBoothReady;
  })();
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

// call runs one of the module's functions on a request object.
function call(name, request) {
  if (!api) throw new Error("eo: the module is not loaded: await eo.load() first");
  if (request === null || typeof request !== "object") throw new Error(`eo: ${name} takes a request object`);
  const out = api[name](JSON.stringify(request));
  if (out instanceof Error) throw out;
  return JSON.parse(out);
}

// encryptBallot encrypts a voter's choices: {line, receipt}, the ballot
// line to post and the hex SHA-256 of it.
export function encryptBallot(request) {
  return call("encryptBallot", request);
}

// auditBallot is encryptBallot that also reveals the ballot's randomness
// ({line, receipt, randomness}) so that the voter can check it: a ballot
// once audited must never be cast; encrypt again to vote.
export function auditBallot(request) {
  return call("auditBallot", request);
}

// checkAudit checks an audited ballot ({electionId, questions, line,
// randomness}, with choices to compare and voterId optionally): it
// returns {receipt, choices}, the choices the ballot encrypts, or throws
// naming the check that failed.
export function checkAudit(request) {
  return call("checkAudit", request);
}

// testingOnly calls a function of the test build of the module (built
// with -tags boothtesting); the module a booth serves has none.
export function testingOnly(name, request) {
  if (!api || typeof api[name] !== "function" || !name.startsWith("testingOnly")) {
    throw new Error(`eo: ${name}: not in this build of the module`);
  }
  return call(name, request);
}
