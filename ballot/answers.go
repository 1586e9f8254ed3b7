package ballot

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// ErrInvalidAnswers is wrapped by the errors of EncodeAnswers and
// DecodeAnswers: choices that are not a vote on the question, or
// plaintexts that are not the encoding of one.
var ErrInvalidAnswers = errors.New("ballot: invalid answers")

// The answer encoding (doc/ballot-answers.md) is the old booth's: a vote
// for the answers a_1, …, a_c (0-based ids, in the voter's order) of a
// question of n answers is the decimal integer
//
//	V = pad_d(a_1 + 1) ‖ … ‖ pad_d(a_c + 1)
//
// where pad_d writes a number in decimal, zero-padded to the d digits of
// n + 2; a blank vote (c = 0) is V = n + 2. On a question of width w
// (AnswersWidth), V is written in base 10^72, most significant digit
// first, one digit per element: element j holds the integer
// ⌊V / 10^(72·(w−1−j))⌋ mod 10^72 (elgamal.EncodeInt). Joining the
// elements' decimals, each after the first zero-padded to 72 digits,
// gives V back; with width 1 the element is V itself.

// tenTo72 is 10^DigitsPerElement, the base of the elements.
var tenTo72 = new(big.Int).Exp(big.NewInt(10), big.NewInt(DigitsPerElement), nil)

// maxAnswers bounds n, so that n + 2 and k·d cannot overflow.
const maxAnswers = math.MaxInt32 - 2

// answerDigits returns d, the number of decimal digits of n + 2.
func answerDigits(n int) int { return len(strconv.Itoa(n + 2)) }

// AnswersWidth returns the width of the votes of a question of n answers
// of which at most maxChoices may be chosen: ⌈k·d / 72⌉, at least 1, with
// d the digits of n + 2, as QuestionWidth derives it from the question's
// "answers" and "max". It fails unless 0 ≤ maxChoices ≤ n and the width
// is at most elgamal.MaxWidth.
func AnswersWidth(n, maxChoices int) (int, error) {
	if n < 0 || n > maxAnswers {
		return 0, fmt.Errorf("%w: %d answers", ErrInvalidAnswers, n)
	}
	if maxChoices < 0 || maxChoices > n {
		return 0, fmt.Errorf("%w: at most %d choices of %d answers", ErrInvalidAnswers, maxChoices, n)
	}
	d := answerDigits(n)
	if maxChoices > elgamal.MaxWidth*DigitsPerElement/d {
		return 0, fmt.Errorf("%w: %d choices of %d digits need more than %d elements", ErrInvalidAnswers, maxChoices, d, elgamal.MaxWidth)
	}
	return max(1, (maxChoices*d+DigitsPerElement-1)/DigitsPerElement), nil
}

// EncodeAnswers returns the plaintexts of a vote for choices (0-based
// answer ids, in the voter's order; none for a blank vote) on a question
// of n answers of which at most maxChoices may be chosen: AnswersWidth
// elements, encoding the old booth's integer as described in
// doc/ballot-answers.md. It fails, with an error wrapping
// ErrInvalidAnswers, for an answer id outside 0 … n−1, a repeated
// answer, more than maxChoices choices, or a question that AnswersWidth
// refuses. Its running time depends on the choices.
func EncodeAnswers(n, maxChoices int, choices []int) ([]*group.Element, error) {
	w, err := AnswersWidth(n, maxChoices)
	if err != nil {
		return nil, err
	}
	if len(choices) > maxChoices {
		return nil, fmt.Errorf("%w: %d choices, at most %d allowed", ErrInvalidAnswers, len(choices), maxChoices)
	}
	d := answerDigits(n)
	var digits strings.Builder
	seen := make(map[int]bool, len(choices))
	for i, a := range choices {
		if a < 0 || a >= n {
			return nil, fmt.Errorf("%w: choice %d: no answer %d (answers are 0 … %d)", ErrInvalidAnswers, i, a, n-1)
		}
		if seen[a] {
			return nil, fmt.Errorf("%w: choice %d: answer %d chosen twice", ErrInvalidAnswers, i, a)
		}
		seen[a] = true
		code := strconv.Itoa(a + 1)
		digits.WriteString(strings.Repeat("0", d-len(code)))
		digits.WriteString(code)
	}
	V := big.NewInt(int64(n) + 2) // a blank vote
	if len(choices) > 0 {
		if _, ok := V.SetString(digits.String(), 10); !ok {
			panic("ballot: internal error: the answer digits are not a number")
		}
	}
	out := make([]*group.Element, w)
	var q, r big.Int
	q.Set(V)
	for j := w - 1; j >= 0; j-- {
		q.QuoRem(&q, tenTo72, &r)
		if out[j], err = elgamal.EncodeInt(&r); err != nil {
			return nil, fmt.Errorf("ballot: %w", err)
		}
	}
	if q.Sign() != 0 {
		panic("ballot: internal error: the vote does not fit its width")
	}
	return out, nil
}

// DecodeAnswers is the inverse of EncodeAnswers: it returns the choices
// (non-nil, empty for a blank vote) that plaintexts encode for a question
// of n answers of which at most maxChoices may be chosen. It accepts at
// least AnswersWidth elements; those beyond it come first and must be
// zero, as for a question given a larger width (doc/ballot-answers.md).
// It fails, with an error wrapping ErrInvalidAnswers (or
// elgamal.ErrInvalidPlaintext), for an element that is not an integer
// below 10^72, an integer V that is neither n + 2 nor a sequence of
// codes 1 … n of d digits, a repeated answer or more than maxChoices
// answers. Its running time depends on the plaintexts.
func DecodeAnswers(n, maxChoices int, plaintexts []*group.Element) ([]int, error) {
	w, err := AnswersWidth(n, maxChoices)
	if err != nil {
		return nil, err
	}
	if len(plaintexts) < w {
		return nil, fmt.Errorf("%w: %d elements, the question needs %d", ErrInvalidAnswers, len(plaintexts), w)
	}
	V := new(big.Int)
	for j, e := range plaintexts {
		x, err := elgamal.DecodeInt(e)
		if err != nil {
			return nil, fmt.Errorf("ballot: element %d: %w", j, err)
		}
		if x.Cmp(tenTo72) >= 0 {
			return nil, fmt.Errorf("%w: element %d is not below 10^72", ErrInvalidAnswers, j)
		}
		V.Mul(V, tenTo72).Add(V, x)
	}
	if V.IsInt64() && V.Int64() == int64(n)+2 {
		return []int{}, nil
	}
	if V.Sign() == 0 {
		return nil, fmt.Errorf("%w: the vote is zero", ErrInvalidAnswers)
	}
	d := answerDigits(n)
	s := V.String()
	if len(s) > maxChoices*d {
		return nil, fmt.Errorf("%w: %d digits is more than %d choices of %d digits", ErrInvalidAnswers, len(s), maxChoices, d)
	}
	if r := len(s) % d; r != 0 {
		s = strings.Repeat("0", d-r) + s
	}
	choices := make([]int, 0, len(s)/d)
	seen := make(map[int]bool, len(s)/d)
	for i := 0; i < len(s); i += d {
		code, _ := strconv.Atoi(s[i : i+d])
		if code < 1 || code > n {
			return nil, fmt.Errorf("%w: choice %d: code %s is no answer (1 … %d)", ErrInvalidAnswers, len(choices), s[i:i+d], n)
		}
		if seen[code-1] {
			return nil, fmt.Errorf("%w: choice %d: answer %d chosen twice", ErrInvalidAnswers, len(choices), code-1)
		}
		seen[code-1] = true
		choices = append(choices, code-1)
	}
	return choices, nil
}
