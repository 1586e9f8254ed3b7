package ballot

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
)

// answerVector is one vector of testdata/answers.json, written by
// testdata/answers_gen.mjs from a JavaScript copy of the old booth's codec.
type answerVector struct {
	Comment  string   `json:"comment"`
	Answers  int      `json:"answers"`
	Max      int      `json:"max"`
	Width    int      `json:"width"`
	Choices  []int    `json:"choices"`
	Integer  string   `json:"integer"`
	Elements []string `json:"elements"`
	Result   string   `json:"result"` // valid | invalid
	Flag     string   `json:"flag"`
}

func loadAnswerVectors(t *testing.T) []answerVector {
	t.Helper()
	b, err := os.ReadFile("testdata/answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []answerVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func intElements(t *testing.T, decimals []string) []*group.Element {
	t.Helper()
	out := make([]*group.Element, len(decimals))
	for i, s := range decimals {
		x, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatalf("bad vector integer %q", s)
		}
		e, err := elgamal.EncodeInt(x)
		if err != nil {
			t.Fatalf("vector integer %q: %v", s, err)
		}
		out[i] = e
	}
	return out
}

func elementDecimals(t *testing.T, es []*group.Element) []string {
	t.Helper()
	out := make([]string, len(es))
	for i, e := range es {
		x, err := elgamal.DecodeInt(e)
		if err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
		out[i] = x.String()
	}
	return out
}

func TestAnswerVectors(t *testing.T) {
	vs := loadAnswerVectors(t)
	if len(vs) < 40 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for i, v := range vs {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			t.Parallel()
			t.Log(v.Comment)
			switch {
			case v.Result == "valid":
				if v.Flag != "padded" {
					w, err := AnswersWidth(v.Answers, v.Max)
					if err != nil || w != v.Width {
						t.Fatalf("AnswersWidth = %d, %v; want %d", w, err, v.Width)
					}
					got, err := EncodeAnswers(v.Answers, v.Max, v.Choices)
					if err != nil {
						t.Fatal(err)
					}
					if d := elementDecimals(t, got); !slices.Equal(d, v.Elements) {
						t.Fatalf("EncodeAnswers = %v, want %v", d, v.Elements)
					}
				}
				// The elements, joined as the old pipeline reads them, are
				// the old booth's integer.
				joined := strings.TrimLeft(v.Elements[0], "0")
				for _, e := range v.Elements[1:] {
					joined += strings.Repeat("0", DigitsPerElement-len(e)) + e
				}
				if strings.TrimLeft(joined, "0") != v.Integer {
					t.Fatalf("joined elements %s, integer %s", joined, v.Integer)
				}
				choices, err := DecodeAnswers(v.Answers, v.Max, intElements(t, v.Elements))
				if err != nil {
					t.Fatal(err)
				}
				if choices == nil || !slices.Equal(choices, v.Choices) {
					t.Fatalf("DecodeAnswers = %v, want %v", choices, v.Choices)
				}
			case v.Elements != nil:
				got, err := DecodeAnswers(v.Answers, v.Max, intElements(t, v.Elements))
				if !errors.Is(err, ErrInvalidAnswers) {
					t.Fatalf("DecodeAnswers = %v, %v; want an ErrInvalidAnswers (%s)", got, err, v.Flag)
				}
				t.Log(err)
			default:
				got, err := EncodeAnswers(v.Answers, v.Max, v.Choices)
				if !errors.Is(err, ErrInvalidAnswers) {
					t.Fatalf("EncodeAnswers = %v, %v; want an ErrInvalidAnswers (%s)", got, err, v.Flag)
				}
				t.Log(err)
			}
		})
	}
}

// TestAnswersWidthIsQuestionWidth: a question's width as the authorities
// derive it from "answers" and "max" is the width of its encoded votes.
func TestAnswersWidthIsQuestionWidth(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 8, 9, 10, 40, 97, 98, 99, 100, 997, 998, 1000, 4000} {
		for _, k := range []int{0, 1, 2, 3, 17, 18, 19, 24, 25, 36, 37, 72, 73, 100, 1000, n} {
			if k > n {
				continue
			}
			q, _ := json.Marshal(map[string]any{"answers": make([]string, n), "max": k})
			want, err := QuestionWidth(q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AnswersWidth(n, k)
			if err != nil || got != want {
				t.Fatalf("n %d, max %d: AnswersWidth = %d, %v; QuestionWidth = %d", n, k, got, err, want)
			}
		}
	}
}

// TestAnswersRoundTrip encodes random votes on random questions: every
// vote decodes to its choices, in width elements each below 10^72, and
// distinct votes give distinct plaintexts.
func TestAnswersRoundTrip(t *testing.T) {
	r := testrand.New(16)
	seen := map[string]string{}
	for range 2000 {
		n := 1 + int(r.Uint64()%300)
		k := int(r.Uint64() % uint64(n+1))
		c := int(r.Uint64() % uint64(k+1))
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		for i := n - 1; i > 0; i-- {
			j := int(r.Uint64() % uint64(i+1))
			perm[i], perm[j] = perm[j], perm[i]
		}
		choices := perm[:c]
		es, err := EncodeAnswers(n, k, choices)
		if err != nil {
			t.Fatalf("n %d, max %d, %v: %v", n, k, choices, err)
		}
		w, _ := AnswersWidth(n, k)
		if len(es) != w {
			t.Fatalf("%d elements, width %d", len(es), w)
		}
		dec := elementDecimals(t, es)
		for _, d := range dec {
			if len(d) > DigitsPerElement {
				t.Fatalf("element %s has more than 72 digits", d)
			}
		}
		got, err := DecodeAnswers(n, k, es)
		if err != nil || !slices.Equal(got, choices) {
			t.Fatalf("n %d, max %d: DecodeAnswers(EncodeAnswers(%v)) = %v, %v", n, k, choices, got, err)
		}
		key := fmt.Sprintf("%d/%d/%v", n, k, dec)
		if prev, ok := seen[key]; ok && prev != fmt.Sprint(choices) {
			t.Fatalf("votes %s and %v encode alike", prev, choices)
		}
		seen[key] = fmt.Sprint(choices)
	}
}

// TestDecodeAnswersNotAnInteger: an element that is not the minimal
// encoding of an integer is refused, with elgamal's error.
func TestDecodeAnswersNotAnInteger(t *testing.T) {
	e, err := elgamal.EncodePlaintext([]byte{0, 1}) // a leading zero byte
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeAnswers(4, 1, []*group.Element{e}); !errors.Is(err, elgamal.ErrInvalidPlaintext) {
		t.Fatalf("DecodeAnswers = %v, want ErrInvalidPlaintext", err)
	}
}
