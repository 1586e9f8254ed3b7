package ballot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// answers returns n answer objects, as the old web server lists them.
func answers(n int) string {
	a := make([]string, n)
	for i := range a {
		a[i] = fmt.Sprintf(`{"id":%d,"value":"a%d"}`, i, i)
	}
	return "[" + strings.Join(a, ",") + "]"
}

func TestQuestionWidth(t *testing.T) {
	for _, tc := range []struct {
		name, question string
		width          int    // 0: refused
		err            string // part of the reason
	}{
		{"empty object", `{}`, 1, ""},
		{"no answers", `{"title":"q","max":3}`, 1, ""},
		{"default max", `{"answers":` + answers(3) + `}`, 1, ""},
		{"no answer may be chosen", `{"answers":` + answers(3) + `,"max":0}`, 1, ""},
		// n + 2 = 10: 2 digits an answer.
		{"eight of eight", `{"answers":` + answers(8) + `,"max":8}`, 1, ""},
		// n + 2 = 72: 2 digits, 36 answers fill an element, 37 spill.
		{"36 of 70", `{"answers":` + answers(70) + `,"max":36}`, 1, ""},
		{"37 of 70", `{"answers":` + answers(70) + `,"max":37}`, 2, ""},
		// n + 2 = 100: 3 digits, 24 answers fill an element.
		{"24 of 98", `{"answers":` + answers(98) + `,"max":24}`, 1, ""},
		{"25 of 98", `{"answers":` + answers(98) + `,"max":25}`, 2, ""},
		{"97 of 97", `{"answers":` + answers(97) + `,"max":97}`, 3, ""}, // 97·2 = 194 digits
		{"98 of 98", `{"answers":` + answers(98) + `,"max":98}`, 5, ""}, // 98·3 = 294 digits
		// n + 2 = 1000: 4 digits; 998·4 = 3992 = 55·72 + 32.
		{"998 of 998", `{"answers":` + answers(998) + `,"max":998}`, 56, ""},
		// 5 digits; 14745·5 = 73725 ≤ 1024·72 = 73728 < 14746·5.
		{"widest", `{"answers":` + answers(15000) + `,"max":14745}`, 1024, ""},
		{"too wide", `{"answers":` + answers(15000) + `,"max":14746}`, 0, "more than 1024"},
		{"width", `{"width":3}`, 3, ""},
		{"width wins", `{"answers":` + answers(98) + `,"max":98,"width":2}`, 2, ""},
		{"largest width", `{"width":1024}`, 1024, ""},
		{"whitespace", " {\"width\" : 7 }\n", 7, ""},

		{"not JSON", `{"width":`, 0, "not a JSON object"},
		{"empty", ``, 0, "not a JSON object"},
		{"null", `null`, 0, "not a JSON object"},
		{"list", `[{"width":2}]`, 0, "not a JSON object"},
		{"string", `"q"`, 0, "not a JSON object"},
		{"answers an object", `{"answers":{"a":1}}`, 0, `"answers" is not a list`},
		{"answers a string", `{"answers":"a,b"}`, 0, `"answers" is not a list`},
		{"answers null", `{"answers":null}`, 0, `"answers" is not a list`},
		{"no answers, default max", `{"answers":[]}`, 0, "more than its 0 answers"},
		{"max over answers", `{"answers":` + answers(3) + `,"max":4}`, 0, "more than its 3 answers"},
		{"negative max", `{"answers":` + answers(3) + `,"max":-1}`, 0, "non-negative integer"},
		{"fractional max", `{"answers":` + answers(3) + `,"max":1.5}`, 0, "non-negative integer"},
		{"exponent max", `{"answers":` + answers(3) + `,"max":1e0}`, 0, "non-negative integer"},
		{"string max", `{"answers":` + answers(3) + `,"max":"1"}`, 0, "non-negative integer"},
		{"huge max", `{"max":123456789012345678901234567890}`, 0, "non-negative integer"},
		{"width 0", `{"width":0}`, 0, `"width" 0 is not an integer in 1 … 1024`},
		{"width 1025", `{"width":1025}`, 0, "1 … 1024"},
		{"negative width", `{"width":-2}`, 0, "1 … 1024"},
		{"string width", `{"width":"2"}`, 0, "1 … 1024"},
		{"fractional width", `{"width":2.5}`, 0, "1 … 1024"},
		{"null width", `{"width":null}`, 0, "1 … 1024"},
		{"width with a bad max", `{"answers":[1],"max":2,"width":1}`, 0, "more than its 1 answers"},
		{"long value cut", `{"width":"` + strings.Repeat("x", 1000) + `"}`, 0, `"xxxxxxxxxxxxxxxxxxxxxxx…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := QuestionWidth(json.RawMessage(tc.question))
			if tc.width == 0 {
				require.ErrorContains(t, err, tc.err)
				require.True(t, strings.HasPrefix(err.Error(), "ballot: "), err.Error())
				require.Less(t, len(err.Error()), 200)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.width, w)
		})
	}
}
