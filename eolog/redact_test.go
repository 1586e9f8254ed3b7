package eolog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The secret of these tests; no output may hold it.
const secretText = "S3CR3T-ab12"

// keyShare is a Redactor without a LogValue of its own.
type keyShare struct{ X string }

func (keyShare) Redacted() {}

// leakyShare is a Redactor whose LogValue would show the secret.
type leakyShare struct{ x string }

func (leakyShare) Redacted()              {}
func (l leakyShare) LogValue() slog.Value { return slog.StringValue(l.x) }

// valuer resolves to a Redactor.
type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.AnyValue(keyShare{secretText}) }

// groupValuer resolves to a group holding a secret key.
type groupValuer struct{}

func (groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", "g1"), slog.String("passphrase", secretText))
}

type withSecrets struct {
	Name   string
	Key    Secret
	hidden Secret
	Keys   []Secret
	ByName map[string]Secret
}

func TestRedact(t *testing.T) {
	s := SecretString(secretText)
	cases := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"secret key", func(l *slog.Logger) { l.Info("m", "secret", secretText) }},
		{"password key", func(l *slog.Logger) { l.Info("m", "password", secretText) }},
		{"passphrase key", func(l *slog.Logger) { l.Info("m", "passphrase", secretText) }},
		{"key_share key", func(l *slog.Logger) { l.Info("m", "key_share", []byte(secretText)) }},
		{"private_key key", func(l *slog.Logger) { l.Info("m", "private_key", secretText) }},
		{"share key", func(l *slog.Logger) { l.Info("m", "share", secretText) }},
		{"upper case key", func(l *slog.Logger) { l.Info("m", "PassWord", secretText) }},
		{"suffixed key", func(l *slog.Logger) { l.Info("m", "tls_private_key", secretText) }},
		{"extra key", func(l *slog.Logger) { l.Info("m", "token", secretText) }},
		{"Secret value", func(l *slog.Logger) { l.Info("m", "k", s) }},
		{"*Secret value", func(l *slog.Logger) { l.Info("m", "k", &s) }},
		{"Secret in the message", func(l *slog.Logger) { l.Info(fmt.Sprint("m ", s)) }},
		{"Redactor value", func(l *slog.Logger) { l.Info("m", "k", keyShare{secretText}) }},
		{"Redactor with a leaky LogValue", func(l *slog.Logger) { l.Info("m", "k", leakyShare{secretText}) }},
		{"LogValuer resolving to a Redactor", func(l *slog.Logger) { l.Info("m", "k", valuer{}) }},
		{"LogValuer resolving to a group", func(l *slog.Logger) { l.Info("m", "k", groupValuer{}) }},
		{"struct holding Secrets", func(l *slog.Logger) {
			l.Info("m", "cfg", withSecrets{"n", s, s, []Secret{s}, map[string]Secret{"a": s}})
		}},
		{"Secret in a slice", func(l *slog.Logger) { l.Info("m", "k", []Secret{s, s}) }},
		{"secret key in a group", func(l *slog.Logger) {
			l.Info("m", slog.Group("dkg", "round", 1, "share", secretText))
		}},
		{"group named secret", func(l *slog.Logger) {
			l.Info("m", slog.Group("key_share", "x", secretText, slog.Group("y", "z", secretText)))
		}},
		{"nested groups", func(l *slog.Logger) {
			l.Info("m", slog.Group("a", slog.Group("b", slog.Group("c", "password", secretText, "k", s))))
		}},
		{"inline group", func(l *slog.Logger) {
			l.Info("m", slog.Group("", "password", secretText))
		}},
		{"With", func(l *slog.Logger) { l.With("password", secretText).Info("m") }},
		{"With Secret", func(l *slog.Logger) { l.With("k", s).Info("m") }},
		{"With group", func(l *slog.Logger) { l.With(slog.Group("g", "share", secretText)).Info("m") }},
		{"WithGroup then key", func(l *slog.Logger) { l.WithGroup("g").WithGroup("h").Info("m", "secret", secretText) }},
		{"WithGroup named secret", func(l *slog.Logger) { l.WithGroup("secret").Info("m", "x", secretText) }},
		{"WithGroup named secret, With", func(l *slog.Logger) { l.WithGroup("secret").With("x", secretText).Info("m") }},
		{"WithGroup named secret, inner group", func(l *slog.Logger) {
			l.WithGroup("private_key").WithGroup("inner").Info("m", slog.Group("g", "x", secretText))
		}},
		{"eolog.With then secret", func(l *slog.Logger) {
			With(l, "e1", "s1", "mix", "a2").Info("m", "share", secretText)
		}},
	}
	handlers := map[string]func(w *bytes.Buffer) slog.Handler{
		"json": func(w *bytes.Buffer) slog.Handler {
			return NewJSONHandler(w, &Options{RedactKeys: []string{"token"}})
		},
		"text": func(w *bytes.Buffer) slog.Handler {
			return NewTextHandler(w, &Options{Color: true, RedactKeys: []string{"token"}})
		},
		"tee": func(w *bytes.Buffer) slog.Handler {
			return Tee(NewJSONHandler(w, &Options{RedactKeys: []string{"token"}}),
				NewTextHandler(w, &Options{RedactKeys: []string{"token"}}))
		},
		"Redact(slog.TextHandler)": func(w *bytes.Buffer) slog.Handler {
			return Redact(slog.NewTextHandler(w, nil), "token")
		},
	}
	for hname, newHandler := range handlers {
		for _, c := range cases {
			t.Run(hname+"/"+c.name, func(t *testing.T) {
				var buf bytes.Buffer
				c.log(slog.New(newHandler(&buf)))
				out := buf.String()
				assert.NotContains(t, out, secretText)
				assert.NotContains(t, out, fmt.Sprint([]byte(secretText)))
				assert.Contains(t, out, RedactedText)
				if hname == "json" {
					for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
						_, err := ParseEvent([]byte(line))
						assert.NoError(t, err, line)
					}
				}
			})
		}
	}
}

func TestRedactKeepsTheRest(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewJSONHandler(&buf, nil))
	l.Info("hello", "public_key", "pk", "shares_count", 3, "share_count", 4, slog.Group("g", "peer_name", "a1"))
	e, err := ParseEvent(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"public_key": "pk", "shares_count": json.Number("3"), "share_count": json.Number("4"),
		"g": map[string]any{"peer_name": "a1"},
	}, e.Attrs)
}

func TestRedactAttr(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: RedactAttr}))
	l.Info("m", "password", secretText, "k", SecretString(secretText), slog.Group("share", "x", secretText),
		slog.Group("g", "private_key", secretText), "ok", "yes", "v", keyShare{secretText})
	assert.NotContains(t, buf.String(), secretText)
	assert.Contains(t, buf.String(), `"ok":"yes"`)
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"secret", "password", "passphrase", "key_share", "private_key", "share",
		"SECRET", "Key_Share", "db_password", "tls_private_key", "client_secret", "my_share"} {
		assert.True(t, IsSecretKey(k), k)
	}
	for _, k := range []string{"", "public_key", "shares", "share_count", "secretary", "keyshare", "election", "peer"} {
		assert.False(t, IsSecretKey(k), k)
	}
	assert.True(t, IsSecretKey("api_token", "token"))
	assert.True(t, IsSecretKey("TOKEN", "Token"))
	assert.False(t, IsSecretKey("token"))
}

func TestSecret(t *testing.T) {
	s := NewSecret([]byte(secretText))
	assert.Equal(t, []byte(secretText), s.Bytes())
	assert.Equal(t, secretText, s.Reveal())
	assert.Equal(t, secretText, SecretString(secretText).Reveal())
	assert.Nil(t, Secret{}.Bytes())
	assert.Equal(t, "", Secret{}.Reveal())

	v := withSecrets{"n", s, s, []Secret{s}, map[string]Secret{"a": s}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, x := range []any{s, &s, v, &v, []Secret{s}} {
			out := fmt.Sprintf(verb, x)
			assert.NotContains(t, out, secretText, verb)
			assert.NotContains(t, strings.ToLower(out), fmt.Sprintf("%x", secretText), verb)
		}
	}
	j, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"Name":"n","Key":"[redacted]","Keys":["[redacted]"],"ByName":{"a":"[redacted]"}}`, string(j))
	txt, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, RedactedText, string(txt))
}
