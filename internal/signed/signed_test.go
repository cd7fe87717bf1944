package signed

import (
	"errors"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := NewKey("s")
	tok := k.Mint("call", now.Add(time.Minute), "c1")
	for _, tt := range []struct {
		name    string
		key     Key
		tok     string
		purpose string
		at      time.Time
		values  []string
		want    error
	}{
		{"good", k, tok, "call", now, []string{"c1"}, nil},
		{"another process with the secret", NewKey("s"), tok, "call", now, []string{"c1"}, nil},
		{"another secret", NewKey("t"), tok, "call", now, []string{"c1"}, ErrInvalid},
		{"a random key", NewKey(""), tok, "call", now, []string{"c1"}, ErrInvalid},
		{"another purpose", k, tok, "embed", now, []string{"c1"}, ErrInvalid},
		{"another value", k, tok, "call", now, []string{"c2"}, ErrInvalid},
		{"values shifted", k, k.Mint("call", now.Add(time.Minute), "a", "bc"), "call", now, []string{"ab", "c"}, ErrInvalid},
		{"expired", k, tok, "call", now.Add(2 * time.Minute), []string{"c1"}, ErrExpired},
		{"empty", k, "", "call", now, []string{"c1"}, ErrMissing},
		{"garbage", k, "zz", "call", now, []string{"c1"}, ErrInvalid},
		{"bad base64", k, "abc.!!", "call", now, []string{"c1"}, ErrInvalid},
	} {
		if err := tt.key.Check(tt.tok, tt.purpose, tt.at, tt.values...); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.want)
		}
	}
	if exp, ok := Expiry(tok); !ok || !exp.Equal(now.Add(time.Minute)) {
		t.Errorf("expiry %v %v", exp, ok)
	}
}

func FuzzCheck(f *testing.F) {
	k := NewKey("s")
	f.Add(k.Mint("call", time.Unix(1_800_000_000, 0), "c1"))
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		_ = k.Check(tok, "call", time.Unix(1_700_000_000, 0), "c1")
		_, _ = Expiry(tok)
	})
}
