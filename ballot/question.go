package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/eo-mixnet/eo/elgamal"
)

// DigitsPerElement is how many decimal digits one group element holds in
// the old booth's encoding of a vote: 10^72 < 2^240, and an element embeds
// 30 bytes (elgamal.EncodeInt).
const DigitsPerElement = 72

// QuestionWidth returns the width of a question's ballots (pairs per
// ciphertext) from the question object of an election request
// (POST /public_api/election's "questions", doc/daemon.md):
//
//   - eo's own field "width", if present: an integer in 1 … elgamal.MaxWidth,
//     for booths that encode votes otherwise;
//   - else, from the old web server's fields "answers" (a list of n
//     answers) and "max" (how many may be chosen, k; 1 if absent): the old
//     booth writes each chosen answer id + 1 in decimal, zero-padded to the
//     d digits of n + 2, one after the other, so a vote needs k·d digits,
//     DigitsPerElement to an element, and the width is ⌈k·d / 72⌉, at least 1;
//   - else 1.
//
// It refuses a question that is not a JSON object, "answers" that is not a
// list, "max" that is not an integer in 0 … n (0 … ∞ without answers),
// "width" that is not an integer in range (checked even when "width" wins),
// and a derived width over elgamal.MaxWidth. Other fields are ignored.
func QuestionWidth(question json.RawMessage) (int, error) {
	var fields map[string]json.RawMessage
	if t := bytes.TrimLeft(question, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return 0, errors.New("ballot: the question is not a JSON object")
	}
	if err := json.Unmarshal(question, &fields); err != nil {
		return 0, fmt.Errorf("ballot: the question is not a JSON object: %v", err)
	}
	n := -1 // no answers
	if raw, ok := fields["answers"]; ok {
		var answers []json.RawMessage
		if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '[' || json.Unmarshal(raw, &answers) != nil {
			return 0, errors.New(`ballot: the question's "answers" is not a list`)
		}
		n = len(answers)
	}
	k := 1
	if raw, ok := fields["max"]; ok {
		var err error
		if k, err = jsonInt(raw); err != nil || k < 0 {
			return 0, fmt.Errorf(`ballot: the question's "max" %s is not a non-negative integer`, short(raw))
		}
	}
	if n >= 0 && k > n {
		return 0, fmt.Errorf(`ballot: the question's "max" %d is more than its %d answers`, k, n)
	}
	if raw, ok := fields["width"]; ok {
		w, err := jsonInt(raw)
		if err != nil || w < 1 || w > elgamal.MaxWidth {
			return 0, fmt.Errorf(`ballot: the question's "width" %s is not an integer in 1 … %d`, short(raw), elgamal.MaxWidth)
		}
		return w, nil
	}
	if n < 0 {
		return 1, nil
	}
	d := len(strconv.Itoa(n + 2))
	w := max(1, (k*d+DigitsPerElement-1)/DigitsPerElement)
	if w > elgamal.MaxWidth {
		return 0, fmt.Errorf("ballot: the question's votes (%d of %d answers, %d digits) need width %d, more than %d", k, n, k*d, w, elgamal.MaxWidth)
	}
	return w, nil
}

// jsonInt decodes a JSON value (valid JSON, from json.Unmarshal) that is
// an integer written without fraction or exponent; a string, even "1",
// is not one.
func jsonInt(raw json.RawMessage) (int, error) {
	return strconv.Atoi(string(bytes.TrimSpace(raw)))
}

// short is a JSON value for an error message, cut to a few bytes.
func short(raw json.RawMessage) string {
	const limit = 24
	t := bytes.TrimSpace(raw)
	if len(t) > limit {
		return string(t[:limit]) + "…"
	}
	return string(t)
}
