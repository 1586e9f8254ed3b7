// An independent checker of eo's known-answer vectors, written from doc/ alone
// (doc/verify.md, doc/transcript.md, doc/threshold.md), never from eo's Go code.
//
//   node verify.mjs ../../testdata/vectors
//
// prints one line per vector (PASS or FAIL) and exits 1 on any mismatch with
// the verdicts and intermediate values the files hold, 2 on a usage error.
//
// What it implements (section numbers are verify.md's unless said):
//   - the ballot line grammar (§3.1) and the ballot proof (§3.2)
//   - the proof of shuffle (§4): generators, proof.bin decoding, transcript,
//     challenges and the equations (A)–(F), each checked alone (no batching)
//   - the plaintext embedding and its decoding (§5.1, §5.2)
//   - the decryption shares' batched Chaum–Pedersen proof (threshold.md §5),
//     the Lagrange combination (§7) and plaintexts.txt (§5.3); the
//     key-generation transcript and its replay (threshold.md §4, verify.md
//     §6): echoes, complaints, justifications, QUAL, extraction, extraction
//     complaints, reconstruction, Y and VK_i, and the faults.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512, sha512_256 } from '@noble/hashes/sha2.js';

const Point = ristretto255.Point;
const L = 2n ** 252n + 27742317777372353535851937790883648493n; // ℓ
const BASE_HEX = 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76';
const DST = 'eo-v1-generators-ristretto255_XMD:SHA-512_R255MAP_RO_';
const enc = new TextEncoder();

// ---------------------------------------------------------------- bytes

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (h) => {
  if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) throw new Error(`bad hex in vector: ${String(h).slice(0, 40)}`);
  return new Uint8Array(Buffer.from(h, 'hex'));
};
const utf8 = (s) => enc.encode(s);
function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function u8(n) { return Uint8Array.of(n); }
function u16(n) { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, n); return b; }
function u32(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; }
function u64(n) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; }
function eqBytes(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }
function leToBig(b) { let x = 0n; for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]); return x; }
function bigToLe32(x) { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(x & 0xffn); x >>= 8n; } return b; }
const mod = (x) => ((x % L) + L) % L;

// ---------------------------------------------------------------- group (verify.md §1)

class Malformed extends Error {}

// An element: 32 bytes that RFC 9496 §4.3.1 decodes; never reduced.
function decodeElement(b, what, { allowIdentity = true } = {}) {
  if (b.length !== 32) throw new Malformed(`${what}: ${b.length} bytes, not 32`);
  let P;
  try { P = Point.fromBytes(b); } catch { throw new Malformed(`${what}: not a canonical ristretto255 encoding`); }
  if (!allowIdentity && P.is0()) throw new Malformed(`${what}: the identity`);
  return P;
}
// A scalar: 32 bytes little endian below ℓ; never reduced.
function decodeScalar(b, what) {
  if (b.length !== 32) throw new Malformed(`${what}: ${b.length} bytes, not 32`);
  const x = leToBig(b);
  if (x >= L) throw new Malformed(`${what}: not a canonical scalar (≥ ℓ)`);
  return x;
}
const B = Point.BASE;
const ZERO = Point.ZERO;
function mul(P, k) { k = mod(k); return k === 0n ? ZERO : P.multiplyUnsafe(k); }
const encPt = (P) => P.toBytes();

// ---------------------------------------------------------------- text form (verify.md §2.1)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function decodeText(s, what) {
  if (s.length !== 43) throw new Malformed(`${what}: text of ${s.length} characters, not 43`);
  let acc = 0n;
  for (const ch of s) {
    const v = B64.indexOf(ch);
    if (v < 0) throw new Malformed(`${what}: character ${JSON.stringify(ch)} is not base64url`);
    acc = (acc << 6n) | BigInt(v);
  }
  if ((acc & 3n) !== 0n) throw new Malformed(`${what}: non-zero trailing bits`);
  acc >>= 2n; // 256 bits, big endian as written
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) { out[i] = Number(acc & 0xffn); acc >>= 8n; }
  return out;
}

// ---------------------------------------------------------------- transcript (transcript.md §2, §3)

class Transcript {
  constructor(protocol) { this.parts = []; this.item('P', 'eo-transcript-v1', utf8(protocol)); }
  item(tag, label, value) {
    const l = utf8(label);
    this.parts.push(concat(utf8(tag), u32(l.length), l, u64(value.length), value));
    return this;
  }
  S(label, s) { return this.item('S', label, typeof s === 'string' ? utf8(s) : s); }
  Bytes(label, b) { return this.item('B', label, b); }
  U(label, n) { return this.item('U', label, u64(n)); }
  E(label, e) { return this.item('E', label, e); }
  Lst(label, elems) { return this.item('L', label, concat(u64(elems.length), ...elems)); }
  LRaw(label, count, bytes) { return this.item('L', label, concat(u64(count), bytes)); }
  bytes() { return concat(...this.parts); }
  copy() { const t = Object.create(Transcript.prototype); t.parts = [...this.parts]; return t; }
  challenge(label) { this.item('C', label, new Uint8Array(0)); return mod(leToBig(sha512(this.bytes()))); }
  shortVector(label, n) {
    this.item('V', label, concat(u64(n), u64(128)));
    const seed = sha512(this.bytes());
    const out = [];
    for (let i = 0; i < n; i++) out.push(leToBig(sha512(concat(seed, u64(i))).subarray(0, 16)));
    return out;
  }
}

// ---------------------------------------------------------------- reporting

let failures = 0, passes = 0;
function report(file, name, ok, detail) {
  if (ok) passes++; else failures++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${file}: ${name}${detail ? ` — ${detail}` : ''}`);
}
// Compares an intermediate value with the vector's, collecting mismatches.
function cmp(errs, what, got, want) {
  if (want === undefined || want === null) return;
  const g = got instanceof Uint8Array ? hex(got) : String(got);
  if (g !== String(want)) errs.push(`${what}: got ${g.slice(0, 80)}, vector has ${String(want).slice(0, 80)}`);
}

// ================================================================ ballots (verify.md §3.1, §3.2)

// Parses a ballot line (bytes, line end already removed) by the grammar of §3.1.
// Returns {choices: [{alpha, beta}], proofs: [{R, c, s}], voterId (bytes or null)}.
function parseBallotLine(line) {
  let i = 0;
  const lit = (s) => {
    const b = utf8(s);
    if (i + b.length > line.length || !eqBytes(line.subarray(i, i + b.length), b)) throw new Malformed(`expected ${JSON.stringify(s)} at byte ${i}`);
    i += b.length;
  };
  const peek = (s) => { const b = utf8(s); return i + b.length <= line.length && eqBytes(line.subarray(i, i + b.length), b); };
  const text = (what) => {
    if (i + 43 > line.length) throw new Malformed(`${what}: line ends inside a text`);
    const s = Buffer.from(line.subarray(i, i + 43)).toString('latin1');
    i += 43;
    return decodeText(s, what);
  };
  const choices = [], proofs = [];
  lit('{"choices":[');
  for (;;) {
    const j = choices.length;
    lit('{"alpha":"'); const a = text(`alpha_${j}`);
    lit('","beta":"'); const b = text(`beta_${j}`);
    lit('"}');
    choices.push({ a, b });
    if (peek(',')) { lit(','); continue; }
    lit(']'); break;
  }
  lit(',"proofs":[');
  for (;;) {
    const j = proofs.length;
    lit('{"commitment":"'); const R = text(`R_${j}`);
    lit('","challenge":"'); const c = text(`c_${j}`);
    lit('","response":"'); const s = text(`s_${j}`);
    lit('"}');
    proofs.push({ R, c, s });
    if (peek(',')) { lit(','); continue; }
    lit(']'); break;
  }
  lit('}');
  let voterId = null;
  if (i < line.length) {
    lit('|');
    voterId = line.subarray(i);
    if (voterId.length === 0) throw new Malformed('empty voter id');
    if (voterId.length > 256) throw new Malformed(`voter id of ${voterId.length} bytes`);
    for (const x of voterId) {
      if (x < 0x20 || x === 0x7f) throw new Malformed(`control byte 0x${x.toString(16)} in the voter id`);
      if (x === 0x7c) throw new Malformed("'|' in the voter id");
    }
    try { new TextDecoder('utf-8', { fatal: true }).decode(voterId); } catch { throw new Malformed('voter id is not valid UTF-8'); }
  }
  if (choices.length > 1024) throw new Malformed(`${choices.length} choices, more than 1024`);
  if (proofs.length !== choices.length) throw new Malformed(`${proofs.length} proofs for ${choices.length} choices`);
  // Rule 5: α, β, R canonical and not the identity; c, s canonical scalars.
  const out = { choices: [], proofs: [], voterId };
  choices.forEach(({ a, b }, j) => {
    out.choices.push({
      alpha: a, beta: b,
      A: decodeElement(a, `alpha_${j}`, { allowIdentity: false }),
      Bt: decodeElement(b, `beta_${j}`, { allowIdentity: false }),
    });
  });
  proofs.forEach(({ R, c, s }, j) => {
    out.proofs.push({
      Rb: R, cb: c, sb: s,
      R: decodeElement(R, `R_${j}`, { allowIdentity: false }),
      c: decodeScalar(c, `c_${j}`),
      s: decodeScalar(s, `s_${j}`),
    });
  });
  return out;
}

// The ballot proof of §3.2. Returns {verdict, failingChoice, perChoice: [...]}.
function verifyBallot(ballot, ctx) {
  const w = ballot.choices.length;
  const base = new Transcript('eo/ballot/v1')
    .S('group', 'ristretto255')
    .Lst('B', [unhex(BASE_HEX)])
    .S('election', ctx.election)
    .U('question', ctx.question)
    .Lst('pk', [ctx.pkBytes])
    .S('voter', ballot.voterId ?? new Uint8Array(0))
    .U('width', w)
    .Lst('ciphertext', ballot.choices.flatMap((ch) => [ch.alpha, ch.beta]));
  const per = [];
  let verdict = 'valid', failingChoice = null;
  for (let j = 0; j < w; j++) {
    const t = base.copy().U('choice', j).Lst('R', [ballot.proofs[j].Rb]);
    const c2 = t.challenge('c');
    const tbytes = t.bytes();
    const p = ballot.proofs[j];
    const challengeMatches = eqBytes(bigToLe32(c2), p.cb);
    const lhs = mul(B, p.s);
    const rhs = p.R.add(mul(ballot.choices[j].A, p.c));
    const equationHolds = lhs.equals(rhs);
    per.push({ transcript: tbytes, computedChallenge: bigToLe32(c2), challengeMatches, equationHolds, sB: encPt(lhs), RcA: encPt(rhs) });
  }
  // verify.md §3.2: every choice's challenge first, then every equation.
  const c = per.findIndex((x) => !x.challengeMatches);
  const e = per.findIndex((x) => !x.equationHolds);
  if (c >= 0) { verdict = 'invalid-challenge'; failingChoice = c; }
  else if (e >= 0) { verdict = 'invalid-equation'; failingChoice = e; }
  return { verdict, failingChoice, per };
}

function runBallotProof(dir) {
  const file = 'ballot-proof.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const ctx = { election: v.election, question: v.question, pkBytes: unhex(v.public_key) };
  const errs0 = [];
  cmp(errs0, 'base_point', encPt(B), v.base_point);
  decodeElement(ctx.pkBytes, 'public key', { allowIdentity: false });
  report(file, 'context (base point, public key)', errs0.length === 0, errs0.join('; '));
  for (const c of v.cases) {
    const errs = [];
    let verdict, failingChoice = null, res = null, ballot = null;
    try {
      ballot = parseBallotLine(utf8(c.line));
      res = verifyBallot(ballot, ctx);
      verdict = res.verdict; failingChoice = res.failingChoice;
      // The ballot rule (§3.3 step 2) excludes a line of the wrong width before its proofs are checked.
      if (ballot.choices.length !== v.width) { verdict = 'wrong-width'; failingChoice = null; }
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      verdict = 'malformed';
      res = { why: e.message };
    }
    if (verdict !== c.expect) errs.push(`verdict ${verdict}${res?.why ? ` (${res.why})` : ''}, expected ${c.expect}`);
    if (c.failing_choice !== undefined && c.failing_choice !== failingChoice) errs.push(`failing choice ${failingChoice}, expected ${c.failing_choice}`);
    if (ballot && c.voter_id !== undefined) cmp(errs, 'voter id', Buffer.from(ballot.voterId ?? []).toString('utf8'), c.voter_id);
    if (ballot && c.voter_id === undefined && ballot.voterId !== null && c.expect !== 'malformed') errs.push('vector has no voter id but the line has one');
    if (res?.per && c.choices) {
      if (c.choices.length !== res.per.length) errs.push(`${res.per.length} choices, vector lists ${c.choices.length}`);
      c.choices.forEach((want, j) => {
        const got = res.per[j], ch = ballot.choices[j], p = ballot.proofs[j];
        if (!got) return;
        cmp(errs, `alpha_${j}`, ch.alpha, want.alpha);
        cmp(errs, `beta_${j}`, ch.beta, want.beta);
        cmp(errs, `R_${j}`, p.Rb, want.commitment);
        cmp(errs, `c_${j}`, p.cb, want.challenge);
        cmp(errs, `s_${j}`, p.sb, want.response);
        cmp(errs, `transcript_${j}`, got.transcript, want.transcript);
        cmp(errs, `computed_challenge_${j}`, got.computedChallenge, want.computed_challenge);
        cmp(errs, `challenge_matches_${j}`, got.challengeMatches, want.challenge_matches);
        cmp(errs, `equation_holds_${j}`, got.equationHolds, want.equation_holds);
        cmp(errs, `s_B_${j}`, got.sB, want.s_B);
        cmp(errs, `R_plus_cA_${j}`, got.RcA, want.R_plus_cA);
      });
    }
    report(file, c.name, errs.length === 0, errs.length ? errs.join('; ') : `${verdict}${failingChoice !== null ? ` (choice ${failingChoice})` : ''}`);
  }
}

// ================================================================ ballot rule (verify.md §3.3)

// Cuts a file at \n (§3.3 step 1): returns [{bytes, nl}] with nl whether a \n followed.
function cutLines(file) {
  const pieces = [];
  let start = 0;
  for (let i = 0; i < file.length; i++) if (file[i] === 0x0a) { pieces.push({ bytes: file.subarray(start, i), nl: true }); start = i + 1; }
  if (start < file.length) pieces.push({ bytes: file.subarray(start), nl: false });
  return pieces;
}
const dropCR = (b) => (b.length && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b);

function ballotRule(file, ctx, width) {
  const lines = cutLines(file).map((p) => dropCR(p.bytes));
  const reason = new Map(); // line number (1-based) → reason
  const parsed = new Map();
  lines.forEach((ln, k) => {
    const no = k + 1;
    if (ln.length === 0) { reason.set(no, 'empty line'); return; }
    let b;
    try { b = parseBallotLine(ln); } catch (e) { if (!(e instanceof Malformed)) throw e; reason.set(no, 'malformed'); return; }
    if (b.choices.length !== width) { reason.set(no, 'wrong number of choices'); return; }
    if (verifyBallot(b, ctx).verdict !== 'valid') { reason.set(no, 'invalid proof'); return; }
    parsed.set(no, b);
  });
  const K = new Set();
  for (const [no, b] of parsed) {
    const as = b.choices.map((c) => hex(c.alpha));
    if (as.some((a) => K.has(a))) { reason.set(no, 'duplicate ciphertext'); parsed.delete(no); continue; }
    as.forEach((a) => K.add(a));
  }
  const last = new Map();
  for (const [no, b] of parsed) if (b.voterId) last.set(hex(b.voterId), no);
  for (const [no, b] of [...parsed]) {
    if (!b.voterId) continue;
    const win = last.get(hex(b.voterId));
    if (win !== no) { reason.set(no, `superseded by line ${win}`); parsed.delete(no); }
  }
  const excluded = [...reason.entries()].sort((a, b) => a[0] - b[0]).map(([line, r]) => ({ line, reason: r }));
  const accepted = [...parsed.keys()].sort((a, b) => a - b);
  const input = concat(...accepted.map((no) => concat(...parsed.get(no).choices.flatMap((c) => [c.alpha, c.beta]))));
  return { excluded, accepted, input };
}

function runBallotRule(dir) {
  const file = 'ballot-rule.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const ctx = { election: v.election, question: v.question, pkBytes: unhex(v.public_key) };
  for (const c of v.cases) {
    const errs = [];
    const r = ballotRule(utf8(c.file), ctx, v.width);
    cmp(errs, 'excluded', JSON.stringify(r.excluded), JSON.stringify(c.excluded));
    cmp(errs, 'accepted_lines', r.accepted.join(','), c.accepted_lines.join(','));
    report(file, c.name, errs.length === 0, errs.length ? errs.join('; ') : `accepted [${r.accepted.join(', ')}], ${r.excluded.length} excluded`);
  }
}

// ================================================================ vote-file split (verify.md §3.4)

function scanVoteLine(P, W) {
  let i = 0;
  const lit = (s) => { const b = utf8(s); if (i + b.length > P.length || !eqBytes(P.subarray(i, i + b.length), b)) return false; i += b.length; return true; };
  const objects = () => {
    const objs = [];
    for (;;) {
      if (P[i] !== 0x7b) return null; // '{'
      let j = i + 1;
      while (j < P.length && P[j] !== 0x7d) { if (P[j] === 0x7b) return null; j++; }
      if (j >= P.length) return null;
      objs.push(P.subarray(i, j + 1));
      i = j + 1;
      if (P[i] === 0x2c) { i++; continue; } // ','
      return objs;
    }
  };
  if (!lit('{"choices":[')) return null;
  const ch = objects(); if (!ch) return null;
  if (!lit('],"proofs":[')) return null;
  const pr = objects(); if (!pr) return null;
  if (!lit(']}')) return null;
  const suffix = P.subarray(i);
  if (suffix.length && suffix[0] !== 0x7c) return null;
  if (ch.length !== W || pr.length !== W) return null;
  return { ch, pr, suffix };
}

function splitVotes(file, widths) {
  const W = widths.reduce((a, b) => a + b, 0);
  const parts = widths.map(() => []);
  for (const piece of cutLines(file)) {
    const cr = piece.bytes.length > 0 && piece.bytes[piece.bytes.length - 1] === 0x0d;
    const P = cr ? piece.bytes.subarray(0, piece.bytes.length - 1) : piece.bytes;
    const sc = scanVoteLine(P, W);
    let s = 0;
    widths.forEach((w, q) => {
      let part;
      if (sc) {
        const join = (xs) => xs.flatMap((x, k) => (k ? [utf8(','), x] : [x]));
        part = concat(utf8('{"choices":['), ...join(sc.ch.slice(s, s + w)), utf8('],"proofs":['), ...join(sc.pr.slice(s, s + w)), utf8(']}'), sc.suffix, cr ? utf8('\r') : new Uint8Array(0));
      } else part = piece.bytes;
      parts[q].push(part, piece.nl ? utf8('\n') : new Uint8Array(0));
      s += w;
    });
  }
  return parts.map((p) => concat(...p));
}

function runVoteSplit(dir) {
  const file = 'vote-split.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  for (const c of v.cases) {
    const errs = [];
    const got = splitVotes(utf8(c.votes), v.widths);
    if (got.length !== c.parts.length) errs.push(`${got.length} parts, vector has ${c.parts.length}`);
    c.parts.forEach((want, q) => { if (!got[q] || !eqBytes(got[q], utf8(want))) errs.push(`question ${q}'s file differs`); });
    report(file, c.name, errs.length === 0, errs.join('; '));
  }
}

// ================================================================ lists (verify.md §1)

// A list of N ciphertexts of width W: canonical elements, no identity α.
function decodeList(bytes, W, what) {
  if (bytes.length % (64 * W) !== 0) throw new Malformed(`${what}: ${bytes.length} bytes is not a multiple of ${64 * W}`);
  const N = bytes.length / (64 * W);
  const cts = [];
  for (let i = 0; i < N; i++) {
    const pairs = [];
    for (let m = 0; m < W; m++) {
      const o = 64 * (i * W + m);
      pairs.push({
        a: decodeElement(bytes.subarray(o, o + 32), `${what}[${i}].α_${m}`, { allowIdentity: false }),
        b: decodeElement(bytes.subarray(o + 32, o + 64), `${what}[${i}].β_${m}`),
      });
    }
    cts.push(pairs);
  }
  return cts;
}

// ================================================================ generators (verify.md §4.1, transcript.md §5)

function generatorDomain(election, session) {
  const E = utf8(election), S = utf8(session);
  return concat(utf8('eo/shuffle/v1'), u32(E.length), E, u32(S.length), S);
}
function hashInput(d, i) { return concat(u32(d.length), d, u64(i)); }
function hashToRistretto(msg) {
  const uniform = expand_message_xmd(msg, utf8(DST), 64, sha512);
  return { uniform, P: ristretto255_hasher.deriveToCurve(uniform) };
}
function shuffleGenerators(election, session, N) {
  const d = generatorDomain(election, session);
  const gens = [];
  for (let i = 0; i <= N; i++) {
    const input = hashInput(d, i);
    const { uniform, P } = hashToRistretto(input);
    gens.push({ input, uniform, H: P, h: P.double() });
  }
  // A set with the identity, B, or a repeat is unverifiable (malformed).
  const seen = new Set();
  for (const g of gens) {
    const e = hex(encPt(g.H));
    if (g.H.is0() || g.H.equals(B) || seen.has(e)) throw new Malformed('degenerate generator set');
    seen.add(e);
  }
  return { d, gens };
}

// ================================================================ proof of shuffle (verify.md §4)

function decodeShuffleProof(bytes, N, W) {
  const want = 9 + 32 * (5 * N + 3 * W + 6);
  if (bytes.length !== want) throw new Malformed(`proof of ${bytes.length} bytes, expected ${want}`);
  if (bytes[0] !== 1) throw new Malformed(`version byte ${bytes[0]}, not 1`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pN = dv.getUint32(1), pW = dv.getUint32(5);
  if (pN !== N || pW !== W) throw new Malformed(`proof for N=${pN}, W=${pW}; the statement has N=${N}, W=${W}`);
  let o = 9;
  const raw = () => { const b = bytes.subarray(o, o + 32); o += 32; return b; };
  const el = (what) => { const b = raw(); return { b, P: decodeElement(b, what) }; };
  const sc = (what) => { const b = raw(); return { b, x: decodeScalar(b, what) }; };
  const p = {};
  p.u = Array.from({ length: N }, (_, i) => el(`u_${i + 1}`));
  p.B = Array.from({ length: N }, (_, i) => el(`B_${i + 1}`));
  p.Ap = el("A'");
  p.Bp = Array.from({ length: N }, (_, i) => el(`B'_${i + 1}`));
  p.Cp = el("C'");
  p.Dp = el("D'");
  p.Fp = Array.from({ length: W }, (_, m) => ({ a: el(`F'_α,${m}`), b: el(`F'_β,${m}`) }));
  p.kA = sc('k_A');
  p.kB = Array.from({ length: N }, (_, i) => sc(`k_B,${i + 1}`));
  p.kC = sc('k_C');
  p.kD = sc('k_D');
  p.kE = Array.from({ length: N }, (_, i) => sc(`k_E,${i + 1}`));
  p.kF = Array.from({ length: W }, (_, m) => sc(`k_F,${m}`));
  if (o !== bytes.length) throw new Error('internal: proof layout');
  return p;
}

// Verifies a proof of shuffle. st: {election, session, position, width, pk (bytes), inputs, outputs (bytes)}.
// Returns {verdict: 'valid'|'invalid'|'malformed', failing: [names], why, trace}.
function verifyShuffle(st, proofBytes, gensIn) {
  const W = st.width;
  const trace = {};
  let inputs, outputs, p, gens;
  try {
    const Y = decodeElement(st.pk, 'public key', { allowIdentity: false });
    inputs = decodeList(st.inputs, W, 'inputs');
    const N = inputs.length;
    if (N < 1) throw new Malformed('N = 0');
    outputs = decodeList(st.outputs, W, 'outputs');
    if (outputs.length !== N) throw new Malformed(`${outputs.length} outputs for ${N} inputs`);
    p = decodeShuffleProof(proofBytes, N, W);
    gens = gensIn ?? shuffleGenerators(st.election, st.session, N);
    trace.Y = Y;
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    return { verdict: 'malformed', why: e.message, failing: [], trace };
  }
  const N = inputs.length, Y = trace.Y;
  const h = gens.gens.map((g) => g.h);

  // §4.3 transcript.
  const t = new Transcript('eo/shuffle/v1')
    .S('group', 'ristretto255')
    .S('generators-dst', DST)
    .Bytes('generators-domain', gens.d)
    .S('election', st.election)
    .S('session', st.session)
    .U('mixer', st.position)
    .U('width', W)
    .U('n', N)
    .Bytes('public-key', st.pk)
    .LRaw('inputs', 2 * W * N, st.inputs)
    .LRaw('outputs', 2 * W * N, st.outputs)
    .Lst('u', p.u.map((x) => x.b));
  const e = t.shortVector('e', N);
  trace.transcript_to_e = t.bytes();
  trace.e = e;
  t.Lst('B', p.B.map((x) => x.b))
    .E("A'", p.Ap.b)
    .Lst("B'", p.Bp.map((x) => x.b))
    .E("C'", p.Cp.b)
    .E("D'", p.Dp.b)
    .Lst("F'", p.Fp.flatMap((f) => [f.a.b, f.b.b]));
  const v = t.challenge('v');
  trace.transcript_to_v = t.bytes();
  trace.v = v;

  // §4.4 derived values.
  let A = ZERO, C = ZERO, prodE = 1n;
  for (let i = 0; i < N; i++) {
    A = A.add(mul(p.u[i].P, e[i]));
    C = C.add(p.u[i].P).subtract(h[i + 1]);
    prodE = mod(prodE * e[i]);
  }
  const D = p.B[N - 1].P.subtract(mul(h[0], prodE));
  const Fa = [], Fb = [];
  for (let m = 0; m < W; m++) {
    let fa = ZERO, fb = ZERO;
    for (let i = 0; i < N; i++) { fa = fa.add(mul(inputs[i][m].a, e[i])); fb = fb.add(mul(inputs[i][m].b, e[i])); }
    Fa.push(fa); Fb.push(fb);
  }
  Object.assign(trace, { A, C, prodE, D, Fa, Fb });

  const eqs = [];
  const eq = (name, lhs, rhs) => eqs.push({ name, lhs, rhs, holds: lhs.equals(rhs) });
  // (A)
  let rA = mul(B, p.kA.x);
  for (let j = 0; j < N; j++) rA = rA.add(mul(h[j + 1], p.kE[j].x));
  eq('(A)', mul(A, v).add(p.Ap.P), rA);
  // (B)
  for (let j = 1; j <= N; j++) {
    const prev = j === 1 ? h[0] : p.B[j - 2].P;
    eq(`(B) j=${j}`, mul(p.B[j - 1].P, v).add(p.Bp[j - 1].P), mul(B, p.kB[j - 1].x).add(mul(prev, p.kE[j - 1].x)));
  }
  // (C), (D)
  eq('(C)', mul(C, v).add(p.Cp.P), mul(B, p.kC.x));
  eq('(D)', mul(D, v).add(p.Dp.P), mul(B, p.kD.x));
  // (F)
  for (let m = 0; m < W; m++) {
    let ra = ZERO, rb = ZERO;
    for (let j = 0; j < N; j++) { ra = ra.add(mul(outputs[j][m].a, p.kE[j].x)); rb = rb.add(mul(outputs[j][m].b, p.kE[j].x)); }
    ra = ra.subtract(mul(B, p.kF[m].x));
    rb = rb.subtract(mul(Y, p.kF[m].x));
    eq(`(F) α m=${m}`, mul(Fa[m], v).add(p.Fp[m].a.P), ra);
    eq(`(F) β m=${m}`, mul(Fb[m], v).add(p.Fp[m].b.P), rb);
  }
  trace.equations = eqs;
  trace.proof = p;
  const failing = eqs.filter((x) => !x.holds).map((x) => x.name);
  return { verdict: failing.length ? 'invalid' : 'valid', failing, trace };
}

function applyMutation(st, proof, m) {
  st = { ...st };
  if (m.target === 'position') { st.position = m.position; return { st, proof }; }
  let target = m.target === 'proof' ? proof : m.target === 'outputs' ? st.outputs : m.target === 'inputs' ? st.inputs : null;
  if (!target) throw new Error(`unknown mutation target ${m.target}`);
  target = Uint8Array.from(target);
  if (m.truncate_to !== undefined) target = target.subarray(0, m.truncate_to);
  if (m.bytes !== undefined) {
    const b = unhex(m.bytes);
    const off = m.offset ?? 0; // NOTES.md: an absent offset is read as 0
    if (off + b.length > target.length) throw new Error('mutation past the end');
    target.set(b, off);
  }
  if (m.target === 'proof') proof = target; else st[m.target] = target;
  return { st, proof };
}

function runShuffle(dir) {
  const file = 'shuffle-proof.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const s = v.statement;
  const st = {
    election: s.election, session: s.session, position: s.position, width: s.width,
    pk: unhex(s.public_key), inputs: unhex(s.inputs), outputs: unhex(s.outputs),
  };
  const proof = unhex(v.proof);

  // Generators.
  {
    const errs = [];
    const g = shuffleGenerators(s.election, s.session, s.n);
    cmp(errs, 'generators_domain', g.d, v.generators_domain);
    cmp(errs, 'generators_dst', DST, v.generators_dst);
    if (v.generators.length !== s.n + 1) errs.push(`${v.generators.length} generators listed, expected N+1 = ${s.n + 1}`);
    v.generators.forEach((want) => {
      const got = g.gens[want.i];
      if (!got) { errs.push(`no generator ${want.i}`); return; }
      cmp(errs, `hash_input_${want.i}`, got.input, want.hash_input);
      cmp(errs, `uniform_bytes_${want.i}`, got.uniform, want.uniform_bytes);
      cmp(errs, `H_${want.i}`, encPt(got.H), want.H);
      cmp(errs, `h_${want.i}`, encPt(got.h), want.h);
    });
    report(file, `generators H_0 … H_${s.n} and h_i = 2·H_i`, errs.length === 0, errs.join('; '));
  }

  // The valid proof, with every intermediate value.
  {
    const errs = [];
    const r = verifyShuffle(st, proof);
    if (r.verdict !== 'valid') errs.push(`verdict ${r.verdict} ${r.why ?? r.failing.join(', ')}, expected valid`);
    const tr = r.trace, f = v.proof_fields, d = v.derived;
    if (tr.proof) {
      const P = tr.proof;
      const lst = (name, got, want) => { if (want) { if (got.length !== want.length) errs.push(`${name}: length`); want.forEach((w, i) => cmp(errs, `${name}[${i}]`, got[i]?.b, w)); } };
      lst('u', P.u, f.u); lst('B', P.B, f.B); lst("B'", P.Bp, f.B_prime);
      cmp(errs, "A'", P.Ap.b, f.A_prime); cmp(errs, "C'", P.Cp.b, f.C_prime); cmp(errs, "D'", P.Dp.b, f.D_prime);
      if (f.F_prime) {
        // Layout of F_prime in the vector: guessed (NOTES.md); accept either a flat list α,β,… or pairs.
        const flat = P.Fp.flatMap((x) => [x.a.b, x.b.b]);
        if (f.F_prime.length === flat.length) f.F_prime.forEach((w, i) => cmp(errs, `F'[${i}]`, typeof w === 'string' ? flat[i] : null, w));
        else errs.push(`F_prime has ${f.F_prime.length} entries, expected ${flat.length}`);
      }
      cmp(errs, 'k_A', P.kA.b, f.k_A); cmp(errs, 'k_C', P.kC.b, f.k_C); cmp(errs, 'k_D', P.kD.b, f.k_D);
      lst('k_B', P.kB, f.k_B); lst('k_E', P.kE, f.k_E); lst('k_F', P.kF, f.k_F);
      cmp(errs, 'transcript_to_e', tr.transcript_to_e, d.transcript_to_e);
      (d.e || []).forEach((w, i) => cmp(errs, `e_${i + 1}`, bigToLe32(tr.e[i]), w));
      cmp(errs, 'transcript_to_v', tr.transcript_to_v, d.transcript_to_v);
      cmp(errs, 'v', bigToLe32(tr.v), d.v);
      cmp(errs, 'A', encPt(tr.A), d.A);
      cmp(errs, 'C', encPt(tr.C), d.C);
      cmp(errs, 'prod_e', bigToLe32(tr.prodE), d.prod_e);
      cmp(errs, 'D', encPt(tr.D), d.D);
      (d.F_alpha || []).forEach((w, m) => cmp(errs, `F_α,${m}`, encPt(tr.Fa[m]), w));
      (d.F_beta || []).forEach((w, m) => cmp(errs, `F_β,${m}`, encPt(tr.Fb[m]), w));
      const byName = new Map(tr.equations.map((x) => [x.name, x]));
      for (const w of d.equations || []) {
        const g = byName.get(w.name);
        if (!g) { errs.push(`no equation named ${w.name}`); continue; }
        cmp(errs, `${w.name} lhs`, encPt(g.lhs), w.lhs);
        cmp(errs, `${w.name} rhs`, encPt(g.rhs), w.rhs);
        cmp(errs, `${w.name} holds`, g.holds, w.holds);
      }
      if ((d.equations || []).length !== tr.equations.length) errs.push(`${tr.equations.length} equations, the vector lists ${(d.equations || []).length}`);
    }
    report(file, 'valid proof (fields, transcript, e, v, A, C, Π e, D, F, equations)', errs.length === 0, errs.length ? errs.join('; ') : 'valid');
  }

  // Negative cases.
  for (const c of v.negative) {
    const errs = [];
    const { st: st2, proof: p2 } = applyMutation(st, proof, c.mutation);
    const r = verifyShuffle(st2, p2);
    if (r.verdict !== c.expect) errs.push(`verdict ${r.verdict}${r.why ? ` (${r.why})` : ''}, expected ${c.expect}`);
    if (c.failing_equations) {
      const a = [...r.failing].sort().join(', '), b = [...c.failing_equations].sort().join(', ');
      if (a !== b) errs.push(`failing equations [${a}], vector lists [${b}]`);
    }
    const what = r.verdict === 'malformed' ? `malformed: ${r.why}` : `${r.verdict}${r.failing.length ? `: ${r.failing.join(', ')}` : ''}`;
    report(file, c.name, errs.length === 0, errs.length ? errs.join('; ') : what);
  }
}

// ================================================================ embedding (verify.md §5)

function isEmbeddable(s) {
  let P;
  try { P = Point.fromBytes(s); } catch { return false; }
  return !P.is0();
}
function candidate(m, ctr) {
  const s = new Uint8Array(32);
  s[0] = (ctr % 128) * 2;
  s.set(m, 1);
  s[31] = m.length + 32 * Math.floor(ctr / 128);
  return s;
}
function embedMessage(m) {
  if (m.length > 30) throw new Error('message longer than 30 bytes');
  const before = [];
  for (let ctr = 0; ctr <= 511; ctr++) {
    const s = candidate(m, ctr);
    if (isEmbeddable(s)) return { ctr, element: s, before };
    before.push(s);
  }
  return null; // no candidate: the spec does not say (NOTES.md)
}
function intToMessage(v) {
  if (v < 0n || v >= 2n ** 240n) throw new Error('integer out of range');
  const out = [];
  while (v > 0n) { out.unshift(Number(v & 0xffn)); v >>= 8n; }
  return Uint8Array.from(out);
}
// §5.2: returns {value: bigint} or {invalid: step}.
function decodeEmbedding(s) {
  const n = s[31] % 32;
  if (s[31] >= 128 || n > 30) return { invalid: 1 };
  for (let i = 1 + n; i <= 30; i++) if (s[i] !== 0) return { invalid: 2 };
  const m = s.subarray(1, 1 + n);
  const ctr = Math.floor(s[0] / 2) + 128 * (Math.floor(s[31] / 32) % 4);
  const first = embedMessage(m);
  if (!first || first.ctr !== ctr) return { invalid: 3 };
  // Step 3 as written compares only the counter; s[0]'s low bit is not covered
  // by "ctr" (s[0] div 2). Comparing the whole encoding closes that (NOTES.md).
  if (!eqBytes(first.element, s)) return { invalid: 3 };
  if (n > 0 && m[0] === 0) return { invalid: 4 };
  let v = 0n;
  for (const x of m) v = (v << 8n) | BigInt(x);
  return { value: v };
}

function runEmbedding(dir) {
  const file = 'embedding.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  for (const c of v.integers) {
    const errs = [];
    const m = intToMessage(BigInt(c.integer));
    cmp(errs, 'message', m, c.message);
    const r = embedMessage(m);
    if (!r) errs.push('no candidate embeds');
    else {
      cmp(errs, 'counter', r.ctr, c.counter);
      cmp(errs, 'element', r.element, c.element);
      const want = c.candidates_before ?? [];
      if (want.length !== r.before.length) errs.push(`${r.before.length} candidates before, vector lists ${want.length}`);
      want.forEach((w, i) => cmp(errs, `candidate ${i}`, r.before[i], w));
      const back = decodeEmbedding(r.element);
      if (back.value !== BigInt(c.integer)) errs.push(`decodes to ${back.value ?? `invalid (step ${back.invalid})`}`);
    }
    report(file, `integer ${c.integer.length > 24 ? c.integer.slice(0, 12) + '…' : c.integer}`, errs.length === 0, errs.length ? errs.join('; ') : `counter ${r.ctr}`);
  }
  for (const c of v.invalid) {
    const errs = [];
    const s = unhex(c.element);
    const r = decodeEmbedding(s);
    if (r.invalid === undefined) errs.push(`decodes to ${r.value}, expected invalid`);
    const stepM = /step (\d)/.exec(c.reason);
    if (stepM && r.invalid !== undefined && Number(stepM[1]) !== r.invalid) errs.push(`rejected at step ${r.invalid}, vector says step ${stepM[1]}`);
    report(file, `invalid ${c.element.slice(0, 8)}…: ${c.reason}`, errs.length === 0, errs.length ? errs.join('; ') : `invalid at step ${r.invalid}`);
  }
}

// ================================================================ threshold (threshold.md)

// Reads the common header of a threshold message (threshold.md §2).
function readHeader(b) {
  let o = 0;
  const need = (n) => { if (o + n > b.length) throw new Malformed('message too short'); };
  need(4);
  if (!eqBytes(b.subarray(0, 4), utf8('eoTH'))) throw new Malformed('bad magic');
  o = 4; need(2);
  const version = b[o++], phase = b[o++];
  if (version !== 1) throw new Malformed(`version ${version}`);
  need(1); const le = b[o++]; need(le); const E = b.subarray(o, o + le); o += le;
  need(1); const ls = b[o++]; need(ls); const S = b.subarray(o, o + ls); o += ls;
  need(1); const sender = b[o++];
  if (le === 0 || ls === 0) throw new Malformed('empty identifier');
  const dec = new TextDecoder('utf-8', { fatal: true });
  let Es, Ss;
  try { Es = dec.decode(E); Ss = dec.decode(S); } catch { throw new Malformed('identifier not UTF-8'); }
  if (sender < 1 || sender > 32) throw new Malformed(`sender ${sender}`);
  return { phase, election: Es, session: Ss, sender, body: b.subarray(o) };
}

function decodeShare(b) {
  const h = readHeader(b);
  if (h.phase !== 16) throw new Malformed(`phase ${h.phase}, not 16`);
  const body = h.body;
  if (body.length < 6) throw new Malformed('share too short');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const w = dv.getUint16(0), N = dv.getUint32(2);
  if (w < 1 || w > 1024) throw new Malformed(`w = ${w}`);
  if (N < 1 || N > 2 ** 26) throw new Malformed(`N = ${N}`);
  const want = 6 + 32 * (N * w) + 4 * 32;
  if (body.length !== want) throw new Malformed(`share body of ${body.length} bytes, expected ${want}`);
  let o = 6;
  const raw = () => { const x = body.subarray(o, o + 32); o += 32; return x; };
  const d = [];
  for (let m = 0; m < N * w; m++) { const x = raw(); d.push({ b: x, P: decodeElement(x, `d_${m}`, { allowIdentity: false }) }); }
  const R1b = raw(), R2b = raw(), cb = raw(), sb = raw();
  return {
    ...h, w, N, d,
    R1: { b: R1b, P: decodeElement(R1b, 'R1') },
    R2: { b: R2b, P: decodeElement(R2b, 'R2') },
    c: { b: cb, x: decodeScalar(cb, 'c') },
    s: { b: sb, x: decodeScalar(sb, 's') },
  };
}

// threshold.md §5. ctx: {election, session, n, t, Y (bytes), h (64 bytes), VK: [bytes] (1-based via i-1), list (bytes), w}.
function verifyShare(msg, i, ctx) {
  const trace = {};
  let sh;
  try {
    sh = decodeShare(msg);
    if (sh.election !== ctx.election || sh.session !== ctx.session) throw new Malformed('share of another election or session');
    if (sh.sender !== i) throw new Malformed(`share of authority ${sh.sender} presented for ${i}`);
    if (sh.w !== ctx.w || sh.N !== ctx.list.length / (64 * ctx.w)) throw new Malformed('share for a list of another shape');
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    return { ok: false, why: e.message, trace };
  }
  const cts = decodeList(ctx.list, ctx.w, 'list');
  const alphas = cts.flatMap((ct) => ct.map((p) => p.a));
  const alphaBytes = [];
  for (let m = 0; m < alphas.length; m++) alphaBytes.push(ctx.list.subarray(64 * m, 64 * m + 32));
  const Nw = sh.N * sh.w;
  const VK = decodeElement(ctx.VK[i - 1], `VK_${i}`);
  const t = new Transcript('eo/threshold-decryption/v1')
    .S('group', 'ristretto255')
    .S('election', ctx.election)
    .S('session', ctx.session)
    .U('n', ctx.n)
    .U('t', ctx.t)
    .Bytes('public-key', ctx.Y)
    .Bytes('dkg-transcript', ctx.h)
    .U('width', sh.w)
    .U('count', sh.N)
    .Bytes('ciphertexts', ctx.list)
    .U('authority', i)
    .S('proof', 'batch-dleq')
    .U('n', Nw)
    .Lst('H', alphaBytes)
    .Lst('Y', sh.d.map((x) => x.b));
  const e = t.shortVector('weights', Nw);
  trace.transcript_to_weights = t.bytes();
  trace.weights = e;
  let Hs = ZERO, Ys = ZERO;
  for (let m = 0; m < Nw; m++) { Hs = Hs.add(mul(alphas[m], e[m])); Ys = Ys.add(mul(sh.d[m].P, e[m])); }
  trace.H_star = Hs; trace.Y_star = Ys;
  t.S('proof', 'dleq')
    .E('G', encPt(B))
    .E('X', ctx.VK[i - 1])
    .E('H', encPt(Hs))
    .E('Y', encPt(Ys))
    .E('R1', sh.R1.b)
    .E('R2', sh.R2.b);
  const c = t.challenge('c');
  trace.transcript_to_c = t.bytes();
  trace.c = c;
  trace.share = sh;
  if (!eqBytes(bigToLe32(c), sh.c.b)) return { ok: false, why: 'challenge differs', trace };
  if (!mul(B, sh.s.x).equals(sh.R1.P.add(mul(VK, sh.c.x)))) return { ok: false, why: 's·B ≠ R1 + c·VK_i', trace };
  if (!mul(Hs, sh.s.x).equals(sh.R2.P.add(mul(Ys, sh.c.x)))) return { ok: false, why: 's·H* ≠ R2 + c·Y*', trace };
  return { ok: true, trace };
}

// The key-generation transcript (threshold.md §2–§4) and its replay
// (verify.md §6): decoding, silence, the echoes, complaints, justifications
// and QUAL, extraction, extraction complaints, reconstruction, then Y and
// VK_j. Returns {Y, VK, qual, faults} or throws Malformed (K1/K2 fail).
function replayDKG(bytes, expect) {
  let o = 0;
  const need = (n) => { if (o + n > bytes.length) throw new Malformed('dkg.bin too short'); };
  need(1); const ll = bytes[o++]; need(ll); const label = Buffer.from(bytes.subarray(o, o + ll)).toString(); o += ll;
  if (label !== 'eo/dkg-transcript/v1') throw new Malformed(`label ${label}`);
  need(1); const le = bytes[o++]; need(le); const E = Buffer.from(bytes.subarray(o, o + le)).toString(); o += le;
  need(1); const ls = bytes[o++]; need(ls); const S = Buffer.from(bytes.subarray(o, o + ls)).toString(); o += ls;
  need(2); const n = bytes[o++], t = bytes[o++];
  const phases = [1, 3, 4, 5, 6, 7];
  const msgs = {};
  for (const ph of phases) {
    msgs[ph] = [];
    for (let i = 1; i <= n; i++) {
      need(4); const len = new DataView(bytes.buffer, bytes.byteOffset + o, 4).getUint32(0); o += 4;
      need(len); msgs[ph].push(len ? bytes.subarray(o, o + len) : null); o += len;
    }
  }
  if (o !== bytes.length) throw new Malformed('bytes after the transcript');
  if (E !== expect.election || S !== expect.session || n !== expect.n || t !== expect.t) throw new Malformed('transcript of another session');
  // Silence: no message after a missing one.
  for (let k = 0; k < n; k++) for (let q = 1; q < phases.length; q++) {
    if (msgs[phases[q]][k] && !msgs[phases[q - 1]][k]) throw new Malformed(`authority ${k + 1} speaks in phase ${phases[q]} after a silent phase ${phases[q - 1]}`);
  }
  // Echoes: phase 3 echoes 1, 4 echoes 3, 5 echoes 4, 6 echoes 5, 7 echoes 6.
  const prevOf = { 3: 1, 4: 3, 5: 4, 6: 5, 7: 6 };
  const bodies = {};
  for (const ph of phases) {
    bodies[ph] = msgs[ph].map((m, k) => {
      if (!m) return null;
      const h = readHeader(m);
      if (h.phase !== ph || h.sender !== k + 1 || h.election !== E || h.session !== S) throw new Malformed(`message of phase ${ph} from ${k + 1}: wrong header`);
      let body = h.body;
      if (prevOf[ph]) {
        const mcount = body[0];
        if (mcount !== n) throw new Malformed('echo of wrong length');
        for (let q = 0; q < n; q++) {
          const D = body.subarray(1 + 32 * q, 33 + 32 * q);
          const prev = msgs[prevOf[ph]][q];
          const want = prev ? sha512_256(prev) : new Uint8Array(32);
          if (!eqBytes(D, want)) throw new Malformed(`phase ${ph} from ${k + 1}: echo of ${q + 1} differs`);
        }
        body = body.subarray(1 + 32 * n);
      }
      return body;
    });
  }
  // Bodies (threshold.md §2), after the echo.
  const elems = (b, o, k, what) => Array.from({ length: k }, (_, m) => decodeElement(b.subarray(o + 32 * m, o + 32 * m + 32), `${what}_${m}`, { allowIdentity: false }));
  const opened = (b, what) => {
    const c = b[0];
    if (b.length !== 1 + 65 * c) throw new Malformed(`${what}: length`);
    const out = [];
    for (let q = 0; q < c; q++) {
      const o = 1 + 65 * q, party = b[o];
      if (party < 1 || party > n || (q > 0 && party <= out[q - 1].party)) throw new Malformed(`${what}: party ${party}`);
      out.push({ party, s: decodeScalar(b.subarray(o + 1, o + 33), `${what} s`), sp: decodeScalar(b.subarray(o + 33, o + 65), `${what} s'`) });
    }
    return out;
  };
  const Ed = utf8(E), Sd = utf8(S);
  const Hped = hashToRistretto(hashInput(concat(utf8('eo/dkg/v1'), u32(Ed.length), Ed, u32(Sd.length), Sd), 0)).P;
  const C = {}, accused = {}, just = {}, A = {}, xc = {}, rec = {};
  for (let k = 1; k <= n; k++) {
    const b1 = bodies[1][k - 1];
    if (b1) {
      if (b1[0] !== t || b1.length !== 1 + 32 * t) throw new Malformed(`deal of ${k}: k ≠ t`);
      C[k] = elems(b1, 1, t, `C_${k}`);
    }
    const b3 = bodies[3][k - 1];
    if (b3) {
      const c = b3[0];
      if (b3.length !== 1 + c) throw new Malformed(`complaints of ${k}: length`);
      accused[k] = [...b3.subarray(1)];
      accused[k].forEach((i, q) => { if (i < 1 || i > n || i === k || (q > 0 && i <= accused[k][q - 1])) throw new Malformed(`complaints of ${k}: dealer ${i}`); });
    }
    if (bodies[4][k - 1]) just[k] = opened(bodies[4][k - 1], `justifications of ${k}`);
    const b5 = bodies[5][k - 1];
    if (b5) {
      if (!((b5[0] === 0 && b5.length === 1) || (b5[0] === t && b5.length === 1 + 32 * t))) throw new Malformed(`extraction of ${k}: k ∉ {0, t}`);
      A[k] = elems(b5, 1, b5[0], `A_${k}`);
    }
    if (bodies[6][k - 1]) xc[k] = opened(bodies[6][k - 1], `extraction complaints of ${k}`);
    if (bodies[7][k - 1]) rec[k] = opened(bodies[7][k - 1], `reconstruction of ${k}`);
  }
  const pw = (j, m) => { let x = 1n; for (let q = 0; q < m; q++) x = mod(x * BigInt(j)); return x; };
  const sumPow = (V, j) => V.reduce((acc, P, m) => acc.add(mul(P, pw(j, m))), ZERO);
  const eq4 = (i, j, sh) => mul(B, sh.s).add(mul(Hped, sh.sp)).equals(sumPow(C[i], j));
  const eq5 = (i, j, sh) => mul(B, sh.s).equals(sumPow(A[i], j));
  const faults = [];
  // Complaints (phase 3) and justifications (phase 4): QUAL.
  const qual = [];
  for (let i = 1; i <= n; i++) {
    if (!C[i]) continue;
    const complainers = [];
    for (let j = 1; j <= n; j++) if (accused[j]?.includes(i)) complainers.push(j);
    const entries = just[i] ?? [];
    let ok = entries.length === complainers.length && entries.every((e, q) => e.party === complainers[q]);
    if (ok) for (const e of entries) if (!eq4(i, e.party, e)) ok = false;
    if (ok) { qual.push(i); entries.forEach((e) => faults.push({ party: e.party, kind: 'complaint refuted', phase: 3 })); }
    else faults.push({ party: i, kind: 'disqualified', phase: 4 });
  }
  for (let j = 1; j <= n; j++) for (const i of accused[j] ?? []) if (!C[i]) throw new Malformed(`${j} complains against ${i}, who dealt nothing`);
  // Extraction (phase 5).
  const reconstruct = new Set();
  for (let i = 1; i <= n; i++) {
    const k = A[i]?.length ?? 0;
    if (!qual.includes(i)) { if (k) throw new Malformed(`Feldman values from ${i}, outside QUAL`); continue; }
    if (!k) { reconstruct.add(i); faults.push({ party: i, kind: 'bad extraction', phase: 5 }); }
  }
  // Extraction complaints (phase 6): Party is the dealer.
  for (let j = 1; j <= n; j++) for (const e of xc[j] ?? []) {
    const i = e.party;
    if (i === j || !qual.includes(i) || !A[i]?.length) throw new Malformed(`extraction complaint of ${j} against ${i}`);
    if (eq4(i, j, e) && !eq5(i, j, e)) { if (!reconstruct.has(i)) faults.push({ party: i, kind: 'bad extraction', phase: 6 }); reconstruct.add(i); }
    else faults.push({ party: j, kind: 'false complaint', phase: 6 });
  }
  // Reconstruction (phase 7): Party is the dealer being reconstructed.
  const points = {};
  let present = 0;
  for (let j = 1; j <= n; j++) {
    if (bodies[7][j - 1]) present++;
    for (const e of rec[j] ?? []) {
      if (!reconstruct.has(e.party)) throw new Malformed(`reconstruction share of ${j} for ${e.party}, not being reconstructed`);
      if (!eq4(e.party, j, e)) { faults.push({ party: j, kind: 'bad reconstruction share', phase: 7 }); continue; }
      (points[e.party] ??= []).push({ j, s: e.s });
    }
  }
  if (reconstruct.size && present < t) throw new Malformed(`${present} authorities in phase 7, fewer than t`);
  // f_i(x) from the first t valid shares, in increasing order of sender.
  const interp = (pts, x) => {
    const inv = (v) => { v = mod(v); let r = 1n, b = v, e = L - 2n; while (e > 0n) { if (e & 1n) r = (r * b) % L; b = (b * b) % L; e >>= 1n; } return r; };
    let acc = 0n;
    for (const p of pts) {
      let num = 1n, den = 1n;
      for (const q of pts) if (q.j !== p.j) { num = mod(num * BigInt(x - q.j)); den = mod(den * BigInt(p.j - q.j)); }
      acc = mod(acc + p.s * num * inv(den));
    }
    return acc;
  };
  let Y = ZERO;
  const VK = Array.from({ length: n }, () => ZERO);
  for (const i of qual) {
    if (reconstruct.has(i)) {
      const pts = (points[i] ?? []).slice(0, t);
      if (pts.length < t) throw new Malformed(`dealer ${i}: ${pts.length} valid reconstruction shares, fewer than t`);
      Y = Y.add(mul(B, interp(pts, 0)));
      for (let j = 1; j <= n; j++) VK[j - 1] = VK[j - 1].add(mul(B, interp(pts, j)));
    } else {
      Y = Y.add(A[i][0]);
      for (let j = 1; j <= n; j++) VK[j - 1] = VK[j - 1].add(sumPow(A[i], j));
    }
  }
  return { Y, VK, qual, faults, n, t };
}

function lagrange(set) {
  // λ_i = Π_{l∈V, l≠i} l/(l − i) mod ℓ
  const inv = (x) => { x = mod(x); let r = 1n, b = x, e = L - 2n; while (e > 0n) { if (e & 1n) r = (r * b) % L; b = (b * b) % L; e >>= 1n; } return r; };
  return set.map((i) => {
    let num = 1n, den = 1n;
    for (const l of set) if (l !== i) { num = mod(num * BigInt(l)); den = mod(den * BigInt(l - i)); }
    return mod(num * inv(den));
  });
}

function runDecryption(dir) {
  const file = 'decryption.json';
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const dkg = unhex(v.dkg_transcript);
  const h = sha512(dkg);
  {
    const errs = [];
    cmp(errs, 'dkg_transcript_sha512', h, v.dkg_transcript_sha512);
    let r;
    try { r = replayDKG(dkg, v); } catch (e) { if (!(e instanceof Malformed)) throw e; errs.push(`dkg.bin: ${e.message}`); }
    let detail = '';
    if (r) {
      cmp(errs, 'qual', r.qual.join(','), v.qual.join(','));
      cmp(errs, 'Y', encPt(r.Y), v.public_key);
      v.verification_keys.forEach((w, j) => cmp(errs, `VK_${j + 1}`, encPt(r.VK[j]), w));
      if (r.faults.length) errs.push(`faults ${JSON.stringify(r.faults)} in an honest run`);
      detail = 'SHA-512, echoes, QUAL, Y and VK_1 … VK_n recomputed (full replay)';
    }
    report(file, 'key-generation transcript', errs.length === 0, errs.length ? errs.join('; ') : detail);
  }
  if (v.dkg_with_faults) {
    const g = v.dkg_with_faults;
    const errs = [];
    const b = unhex(g.dkg_transcript);
    cmp(errs, 'dkg_transcript_sha512', sha512(b), g.dkg_transcript_sha512);
    let r;
    try { r = replayDKG(b, { ...v, session: g.session }); } catch (e) { if (!(e instanceof Malformed)) throw e; errs.push(`dkg.bin: ${e.message}`); }
    if (r) {
      cmp(errs, 'qual', r.qual.join(','), g.qual.join(','));
      cmp(errs, 'Y', encPt(r.Y), g.public_key);
      g.verification_keys.forEach((w, j) => cmp(errs, `VK_${j + 1}`, encPt(r.VK[j]), w));
      // The faults as a set (their order is eo's, not the spec's).
      const key = (f) => `${f.party}:${f.kind}:${f.phase}`;
      cmp(errs, 'faults', r.faults.map(key).sort().join(' '), g.faults.map(key).sort().join(' '));
    }
    report(file, 'key-generation transcript with faults', errs.length === 0, errs.length ? errs.join('; ') : `QUAL {${r.qual.join(', ')}}, Y and VK_1 … VK_n recomputed; faults: ${r.faults.map((f) => `${f.kind} (${f.party})`).join(', ')}`);
  }
  const list = unhex(v.list);
  const ctx = {
    election: v.election, session: v.session, n: v.n, t: v.t, Y: unhex(v.public_key), h,
    VK: v.verification_keys.map(unhex), list, w: v.width,
  };
  const valid = new Map();
  for (const s of v.shares) {
    const errs = [];
    const r = verifyShare(unhex(s.message), s.authority, ctx);
    if (r.ok !== s.valid) errs.push(`share ${r.ok ? 'verifies' : `fails (${r.why})`}, expected ${s.valid ? 'valid' : 'invalid'}`);
    const tr = r.trace;
    if (tr.share) {
      (s.factors || []).forEach((w, m) => cmp(errs, `d_${m}`, tr.share.d[m]?.b, w));
      cmp(errs, 'R1', tr.share.R1.b, s.R1); cmp(errs, 'R2', tr.share.R2.b, s.R2);
      cmp(errs, 'c', tr.share.c.b, s.c); cmp(errs, 's', tr.share.s.b, s.s);
      cmp(errs, 'transcript_to_weights', tr.transcript_to_weights, s.transcript_to_weights);
      (s.weights || []).forEach((w, m) => cmp(errs, `weight_${m}`, bigToLe32(tr.weights[m]), w));
      cmp(errs, 'H*', encPt(tr.H_star), s.H_star); cmp(errs, 'Y*', encPt(tr.Y_star), s.Y_star);
      cmp(errs, 'transcript_to_c', tr.transcript_to_c, s.transcript_to_c);
      cmp(errs, 'computed_c', bigToLe32(tr.c), s.computed_c);
    }
    if (r.ok) valid.set(s.authority, tr.share);
    report(file, `share of authority ${s.authority}`, errs.length === 0, errs.length ? errs.join('; ') : (r.ok ? 'valid' : `invalid: ${r.why}`));
  }
  for (const c of v.negative || []) {
    const errs = [];
    const r = verifyShare(unhex(c.message), c.authority, ctx);
    const got = r.ok ? 'valid' : 'invalid';
    if (got !== c.expect) errs.push(`${got}, expected ${c.expect}`);
    const fails = r.ok ? '' : { 'challenge differs': 'challenge', 's·B ≠ R1 + c·VK_i': 's·B = R1 + c·VK_i', 's·H* ≠ R2 + c·Y*': 's·H* = R2 + c·Y*' }[r.why] ?? 'decoding';
    if (c.fails !== undefined && fails !== c.fails) errs.push(`fails at ${fails}, expected ${c.fails}`);
    report(file, c.name, errs.length === 0, errs.length ? errs.join('; ') : `${got}: ${r.why}`);
  }
  const cts = decodeList(list, v.width, 'list');
  let lines = null;
  for (const comb of v.combinations || []) {
    const errs = [];
    const lam = lagrange(comb.set);
    comb.lambda.forEach((w, k) => cmp(errs, `λ_${comb.set[k]}`, bigToLe32(lam[k]), w));
    const shares = comb.set.map((i) => valid.get(i));
    if (shares.some((x) => !x)) errs.push('a share of the set did not verify');
    else {
      const M = [];
      cts.forEach((ct, j) => ct.forEach((pair, k) => {
        const m = j * v.width + k;
        let acc = pair.b;
        comb.set.forEach((_, q) => { acc = acc.subtract(mul(shares[q].d[m].P, lam[q])); });
        M.push(acc);
      }));
      comb.plaintext_elements.forEach((w, m) => cmp(errs, `M_${m}`, encPt(M[m]), w));
      const ls = cts.map((ct, j) => ct.map((_, k) => {
        const r = decodeEmbedding(encPt(M[j * v.width + k]));
        return r.value !== undefined ? r.value.toString() : 'invalid';
      }).join(','));
      if (lines && lines.join('\n') !== ls.join('\n')) errs.push('plaintexts differ between sets');
      lines = ls;
    }
    report(file, `combination {${comb.set.join(', ')}}`, errs.length === 0, errs.join('; '));
  }
  if (v.plaintexts_txt) {
    const errs = [];
    cmp(errs, 'plaintexts.txt', (lines || []).join('\n'), v.plaintexts_txt.join('\n'));
    report(file, 'plaintexts.txt lines', errs.length === 0, errs.length ? errs.join('; ') : (lines || []).join(' | '));
  }
}

// ================================================================ main

const dir = process.argv[2];
if (!dir) { console.error('usage: node verify.mjs DIR   (DIR: testdata/vectors)'); process.exit(2); }
for (const [name, fn] of [['ballot-proof', runBallotProof], ['ballot-rule', runBallotRule], ['vote-split', runVoteSplit], ['shuffle-proof', runShuffle], ['embedding', runEmbedding], ['decryption', runDecryption]]) {
  try { fn(dir); } catch (e) { report(`${name}.json`, 'crashed', false, e.stack); }
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
