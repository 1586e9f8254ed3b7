// answers_gen.mjs writes answers.json, the vectors of the answer encoding
// (doc/ballot-answers.md), from an implementation of the old booth's codec
// in JavaScript that shares nothing with package ballot:
//
//	node ballot/testdata/answers_gen.mjs > ballot/testdata/answers.json
//
// Every vector is a question ("answers" n, "max" k), its width, and either
// a vote ("choices") with the integer and the elements it encodes to, or
// something that must be refused ("result": "invalid", with "flag" naming
// why): choices that EncodeAnswers refuses, or elements (decimal integers)
// that DecodeAnswers refuses.

const TEN72 = 10n ** 72n;

function digits(n) {
  return String(n + 2).length;
}

function width(n, k) {
  return Math.max(1, Math.ceil((k * digits(n)) / 72));
}

// The old booth: each chosen answer id + 1, zero-padded to the digits of
// n + 2, concatenated; a blank vote is n + 2.
function oldBoothInteger(n, choices) {
  if (choices.length === 0) return BigInt(n + 2);
  const d = digits(n);
  return BigInt(choices.map((a) => String(a + 1).padStart(d, "0")).join(""));
}

function elements(v, w) {
  const out = [];
  for (let j = 0; j < w; j++) {
    out.unshift(String(v % TEN72));
    v /= TEN72;
  }
  if (v !== 0n) throw new Error("does not fit");
  return out;
}

const vectors = [];

function valid(comment, n, k, choices) {
  const w = width(n, k);
  const v = oldBoothInteger(n, choices);
  vectors.push({ comment, answers: n, max: k, width: w, choices, integer: String(v), elements: elements(v, w), result: "valid" });
}

// paddedValid is a vote on a question given a larger width than it needs
// (eo's "width"): leading zero elements, which only DecodeAnswers sees.
function paddedValid(comment, n, k, w, choices) {
  const v = oldBoothInteger(n, choices);
  vectors.push({ comment, answers: n, max: k, width: w, choices, integer: String(v), elements: elements(v, w), result: "valid", flag: "padded" });
}

function badChoices(comment, flag, n, k, choices) {
  vectors.push({ comment, answers: n, max: k, choices, result: "invalid", flag });
}

function badElements(comment, flag, n, k, els) {
  vectors.push({ comment, answers: n, max: k, elements: els, result: "invalid", flag });
}

const range = (n) => Array.from({ length: n }, (_, i) => i);

valid("blank vote, 4 answers, one choice", 4, 1, []);
valid("first answer", 4, 1, [0]);
valid("last answer", 4, 1, [3]);
valid("blank vote of a question with no choice allowed", 3, 0, []);
valid("blank vote of a question with no answers", 0, 0, []);
valid("8 answers: n + 2 = 10 has two digits, the first code loses its zero", 8, 3, [0, 2]);
valid("three choices in the voter's order", 8, 3, [7, 6, 5]);
valid("blank vote, 8 answers", 8, 3, []);
valid("10 answers: code 10 is the last answer, n + 2 = 12 the blank vote", 10, 2, [9]);
valid("last then first", 10, 2, [9, 0]);
valid("blank vote, 10 answers", 10, 2, []);
valid("98 answers: three digits", 98, 2, [97]);
valid("99 answers", 99, 3, [98, 0, 50]);
valid("one element holds 72 digits: 36 choices of 2", 40, 36, range(36));
valid("37 choices of 2 digits need a second element", 40, 37, range(37));
valid("all 40 answers: 80 digits, two elements", 40, 40, range(40).reverse());
valid("all 40 answers in order: the first code loses its zero (doc/ballot-answers.md)", 40, 40, range(40));
valid("width 2 with few choices: the first element is zero", 40, 40, [5]);
valid("blank vote of a width-2 question: the first element is zero", 40, 40, []);
valid("3-digit codes straddle the elements", 200, 30, range(30).map((i) => 199 - 6 * i));
valid("width 6: 100 choices of 4 digits", 1000, 100, range(100).map((i) => (i * 7) % 1000));
valid("width 6, one choice", 1000, 100, [999]);
paddedValid("a width-1 question given width 3", 4, 1, 3, [2]);
paddedValid("a blank vote given width 2", 8, 3, 2, []);

badChoices("unknown answer: id n", "unknown-answer", 4, 1, [4]);
badChoices("negative answer id", "unknown-answer", 4, 1, [-1]);
badChoices("unknown answer after a good one", "unknown-answer", 8, 3, [1, 9]);
badChoices("an answer chosen twice", "repeated", 8, 3, [2, 2]);
badChoices("an answer chosen twice, apart", "repeated", 8, 3, [2, 0, 2]);
badChoices("two choices where one is allowed", "too-many", 4, 1, [0, 1]);
badChoices("a choice where none is allowed", "too-many", 3, 0, [0]);
badChoices("max above the number of answers", "bad-question", 4, 5, [0]);
badChoices("negative max", "bad-question", 4, -1, []);
badChoices("negative number of answers", "bad-question", -1, 0, []);
badChoices("more than 1024 elements", "bad-question", 100000, 100000, []);

badElements("zero is no vote", "not-a-vote", 4, 1, ["0"]);
badElements("code 5 of 4 answers", "not-a-vote", 4, 1, ["5"]);
badElements("n + 3 is not the blank vote", "not-a-vote", 4, 1, ["7"]);
badElements("code 0 in the middle (the 2-digit code 00)", "not-a-vote", 8, 3, ["100"]);
badElements("repeated answer", "repeated", 8, 3, ["101"]);
badElements("two codes where one is allowed", "too-many", 8, 1, ["102"]);
badElements("an element of 10^72", "out-of-range", 40, 36, [String(TEN72)]);
badElements("a second element of 10^72", "out-of-range", 40, 40, ["0", String(TEN72)]);
badElements("a width-1 question given no element", "too-few", 4, 1, []);
badElements("a width-2 question given one element", "too-few", 40, 40, ["1"]);
badElements("non-zero extra leading element", "too-many", 4, 1, ["1", "1"]);

for (const v of vectors) {
  if (v.result === "valid" && v.width === 1 && v.elements[0] !== v.integer) throw new Error("width 1");
}
console.log("[\n" + vectors.map((v) => JSON.stringify(v)).join(",\n") + "\n]");
