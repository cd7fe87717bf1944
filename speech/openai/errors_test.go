package openai_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/voiceagent/voiceagent/speech/openai"
)

// Each status knows its kind and whether waiting helps, bare and wrapped.
func TestStatusErrorKinds(t *testing.T) {
	sentinels := []error{openai.ErrAuth, openai.ErrNotFound, openai.ErrRateLimited, openai.ErrUnavailable, openai.ErrRejected}
	for _, c := range []struct {
		status    int
		kind      error
		temporary bool
	}{
		{400, openai.ErrRejected, false},
		{401, openai.ErrAuth, false},
		{403, openai.ErrAuth, false},
		{404, openai.ErrNotFound, false},
		{413, openai.ErrRejected, false},
		{422, openai.ErrRejected, false},
		{429, openai.ErrRateLimited, true},
		{500, openai.ErrUnavailable, true},
		{502, openai.ErrUnavailable, true},
		{503, openai.ErrUnavailable, true},
	} {
		bare := &openai.StatusError{Op: "speech", Status: c.status, Message: "m"}
		for _, err := range []error{bare, fmt.Errorf("saying hello: %w", bare)} {
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == c.kind) {
					t.Errorf("%v: errors.Is(%v) = %v", err, s, got)
				}
			}
			if got := openai.Temporary(err); got != c.temporary {
				t.Errorf("%v: Temporary = %v", err, got)
			}
			var se *openai.StatusError
			if !errors.As(err, &se) || se.Status != c.status {
				t.Errorf("%v: errors.As found %v", err, se)
			}
		}
	}
	if got := (&openai.StatusError{Op: "transcription", Status: 429, Message: "slow down", RetryAfter: 3e9}).Error(); got != "openai transcription: 429 Too Many Requests: slow down (retry after 3s)" {
		t.Errorf("Error() = %q", got)
	}
}

func TestTemporary(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{openai.ErrTimeout, true},
		{fmt.Errorf("x: %w", openai.ErrUnavailable), true},
		{openai.ErrRateLimited, true},
		{openai.ErrAuth, false},
		{openai.ErrMalformed, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := openai.Temporary(c.err); got != c.want {
			t.Errorf("Temporary(%v) = %v", c.err, got)
		}
	}
}
