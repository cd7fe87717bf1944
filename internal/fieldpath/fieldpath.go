// Package fieldpath writes the paths that locate a value in an agent file,
// like services[0].headers.Authorization or bodyTemplate["a.b"], the same
// way wherever a problem is reported.
package fieldpath

import (
	"regexp"
	"strconv"
)

var plainKey = regexp.MustCompile(`^[\p{L}\p{N}_-]+$`)

// Join appends a mapping key: path.key, or path["key"] for a key that
// would read ambiguously (dots, spaces, brackets).
func Join(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index: path[i].
func Index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
