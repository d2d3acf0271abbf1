package config

import (
	"runtime"
	"strings"
	"sync"
	"weak"
)

// origin is what Parse learned about where each value came from, so that
// Validate, which only has the *Config, can point at file lines.
type origin struct {
	file  string
	lines map[string]int // YAML path -> 1-based line
}

// The origin lives in a side table rather than in Config because Config is
// the public schema: an extra field would show up in %#v and break
// reflect.DeepEqual between a parsed config and an equal one built in code.
// Weak keys plus a cleanup keep the table from pinning configs in memory.
var origins struct {
	sync.Mutex
	m map[weak.Pointer[Config]]origin
}

func remember(c *Config, o origin) {
	k := weak.Make(c)
	origins.Lock()
	if origins.m == nil {
		origins.m = make(map[weak.Pointer[Config]]origin)
	}
	origins.m[k] = o
	origins.Unlock()
	runtime.AddCleanup(c, forget, k)
}

func forget(k weak.Pointer[Config]) {
	origins.Lock()
	delete(origins.m, k)
	origins.Unlock()
}

// originOf returns the zero origin for configs not made by Parse, including
// copies of parsed ones; their problems then carry line 0.
func originOf(c *Config) origin {
	origins.Lock()
	defer origins.Unlock()
	return origins.m[weak.Make(c)]
}

// line finds the line of path or, failing that, of its nearest ancestor: a
// missing "users[1].password" is best reported where users[1] starts.
func (o origin) line(path string) int {
	for path != "" {
		if l, ok := o.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
