package eolog

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// RedactedText is what the log shows in place of a secret.
const RedactedText = "[redacted]"

// secretKeys are the standard keys whose values are never logged.
var secretKeys = []string{"secret", "password", "passphrase", "key_share", "private_key", "share"}

// IsSecretKey reports whether an attribute with this key is redacted, with
// extra as additional secret keys. A key is secret when, compared without
// regard to case, it is one of "secret", "password", "passphrase",
// "key_share", "private_key", "share" or extra, or ends with "_" followed by
// one of them ("tls_private_key", "db_password").
func IsSecretKey(key string, extra ...string) bool {
	k := strings.ToLower(key)
	for _, list := range [][]string{secretKeys, extra} {
		for _, s := range list {
			s = strings.ToLower(s)
			if s != "" && (k == s || strings.HasSuffix(k, "_"+s)) {
				return true
			}
		}
	}
	return false
}

// A Redactor is a value that is never logged: the handlers of this package
// log RedactedText in its place, whatever its key. The method only marks
// the type; a package can mark its secret types without importing eolog.
//
// The handlers see a Redactor given as an attribute's value (directly, or
// as what a slog.LogValuer returns); one nested inside another value, such
// as a struct field, is not seen: give it a LogValue, MarshalJSON and
// String of its own, as Secret has, or wrap it in a Secret.
type Redactor interface {
	Redacted()
}

// A Secret holds secret bytes and never shows them: it logs, formats (with
// every fmt verb), marshals to JSON and to text as RedactedText, also as a
// field of a struct. Only Bytes and Reveal give the secret. The zero Secret
// is empty.
type Secret struct {
	// A pointer, so that fmt printing a struct that holds a Secret in an
	// unexported field shows an address, not the bytes.
	v *secretValue
}

type secretValue struct{ b []byte }

// NewSecret returns a Secret holding b, which it does not copy.
func NewSecret(b []byte) Secret { return Secret{&secretValue{b}} }

// SecretString returns a Secret holding the bytes of s.
func SecretString(s string) Secret { return NewSecret([]byte(s)) }

// Bytes returns the secret bytes themselves (not a copy).
func (s Secret) Bytes() []byte {
	if s.v == nil {
		return nil
	}
	return s.v.b
}

// Reveal returns the secret as a string.
func (s Secret) Reveal() string { return string(s.Bytes()) }

// Redacted marks Secret as a Redactor.
func (Secret) Redacted() {}

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(RedactedText) }

// String returns RedactedText.
func (Secret) String() string { return RedactedText }

// GoString returns RedactedText.
func (Secret) GoString() string { return RedactedText }

// Format implements fmt.Formatter: every verb prints RedactedText.
func (Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, RedactedText) }

// MarshalJSON returns the JSON string RedactedText.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + RedactedText + `"`), nil }

// MarshalText returns RedactedText.
func (Secret) MarshalText() ([]byte, error) { return []byte(RedactedText), nil }

// RedactAttr is the redaction rule as a slog.HandlerOptions.ReplaceAttr
// function, for handlers not made by this package. Handlers resolve
// slog.LogValuer values before they call ReplaceAttr, so it does not see
// a Redactor whose LogValue returns something else: prefer Redact.
func RedactAttr(groups []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) || slices.ContainsFunc(groups, func(g string) bool { return IsSecretKey(g) }) || isRedactor(a.Value) {
		return slog.String(a.Key, RedactedText)
	}
	return a
}

// Redact returns a handler that passes records to h with secrets replaced
// by RedactedText: the value of every attribute whose key is a secret key
// (IsSecretKey, with extraKeys), whether the value is a group or not;
// every attribute inside a group, or under a WithGroup, whose name is a
// secret key; and every value that implements Redactor, before or after
// resolving a slog.LogValuer. It applies to the attributes of records and
// to those given to WithAttrs. It resolves slog.LogValuer values itself.
// The message is not changed.
func Redact(h slog.Handler, extraKeys ...string) slog.Handler {
	if r, ok := h.(*redactHandler); ok && len(extraKeys) == 0 {
		return r
	}
	return &redactHandler{h: h, keys: slices.Clone(extraKeys)}
}

type redactHandler struct {
	h    slog.Handler
	keys []string
	// secret is set under a WithGroup whose name is a secret key.
	secret bool
}

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.NumAttrs() == 0 {
		return r.h.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	attrs := make([]slog.Attr, 0, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, r.redact(a, r.secret))
		return true
	})
	out.AddAttrs(attrs...)
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = r.redact(a, r.secret)
	}
	return &redactHandler{h: r.h.WithAttrs(red), keys: r.keys, secret: r.secret}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return r
	}
	return &redactHandler{h: r.h.WithGroup(name), keys: r.keys, secret: r.secret || IsSecretKey(name, r.keys...)}
}

// redact returns a with its value redacted if it is secret, or resolved and,
// for a group, with each member redacted.
func (r *redactHandler) redact(a slog.Attr, secret bool) slog.Attr {
	if secret || IsSecretKey(a.Key, r.keys...) || isRedactor(a.Value) {
		return slog.String(a.Key, RedactedText)
	}
	v := a.Value.Resolve()
	if isRedactor(v) {
		return slog.String(a.Key, RedactedText)
	}
	if v.Kind() != slog.KindGroup {
		return slog.Attr{Key: a.Key, Value: v}
	}
	members := v.Group()
	red := make([]slog.Attr, len(members))
	for i, m := range members {
		// An inline group (empty key) puts its members in the
		// enclosing group, which decides whether they are secret.
		red[i] = r.redact(m, secret)
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
}

func isRedactor(v slog.Value) bool {
	if k := v.Kind(); k != slog.KindAny && k != slog.KindLogValuer {
		return false
	}
	_, ok := v.Any().(Redactor)
	return ok
}
