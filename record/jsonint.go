package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// maxJSONInt is the largest integer magnitude a record's JSON may hold:
// 2^53 − 1, what every JSON reader (a JavaScript number included) holds
// exactly (doc/verify.md §2.2).
const maxJSONInt = 1<<53 - 1

// checkJSONInts fails if a number in the JSON text b is not an integer
// in −(2^53 − 1) … 2^53 − 1. Text that is not JSON is left to the decoder.
func checkJSONInts(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // not JSON: the strict decoder reports it
		}
		n, ok := tok.(json.Number)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || v > maxJSONInt || v < -maxJSONInt {
			s := string(n)
			if len(s) > 24 {
				s = s[:24] + "…"
			}
			return fmt.Errorf("number %s is not an integer within ±(2^53 − 1)", s)
		}
	}
}
