package config

import "strings"

// The tables live at package level so FuzzParse can seed itself from every
// input the unit tests use.

// want is one expected problem; msg is a substring of the message.
type want struct {
	path string
	line int
	msg  string
}

type parseCase struct {
	name string
	yaml string
	is   error  // errors.Is target for errors that are not a *ValidationError
	want []want // expected problems, in report order
}

var parseCases = []parseCase{
	{name: "unknown top-level key suggests", yaml: "device:\n  name: cam\nrtps:\n  listen: \":8554\"\n",
		want: []want{{"rtps", 3, `unknown key "rtps" (did you mean "rtsp"?)`}}},
	{name: "unknown nested key", yaml: "rtsp:\n  listen: \":8554\"\n  max_reader: 3\n",
		want: []want{{"rtsp.max_reader", 3, `(did you mean "max_readers"?)`}}},
	{name: "unknown key without suggestion", yaml: "colour: blue\n",
		want: []want{{"colour", 1, `unknown key "colour"`}}},
	{name: "unknown key inside user", yaml: "users:\n  - name: a\n    pasword: x\n",
		want: []want{{"users[0].pasword", 3, `did you mean "password"`}}},
	{name: "string for int", yaml: "rtsp:\n  udp_rtp_port: eight\n",
		want: []want{{"rtsp.udp_rtp_port", 2, `expected an integer, got the string "eight"`}}},
	{name: "quoted int is a string", yaml: "rtsp:\n  max_readers: \"8\"\n",
		want: []want{{"rtsp.max_readers", 2, "expected an integer"}}},
	{name: "float for int", yaml: "encoder:\n  bitrate_kbps: 2.5\n",
		want: []want{{"encoder.bitrate_kbps", 2, `expected an integer, got "2.5"`}}},
	{name: "int overflow", yaml: "encoder:\n  gop: 99999999999999999999\n",
		want: []want{{"encoder.gop", 2, "expected an integer"}}},
	{name: "yes is not a bool", yaml: "rtsp:\n  udp: yes\n",
		want: []want{{"rtsp.udp", 2, `expected true or false, got the string "yes"`}}},
	{name: "bool for plain bool field", yaml: "rtsp:\n  anonymous: 1\n",
		want: []want{{"rtsp.anonymous", 2, "expected true or false"}}},
	{name: "bad duration", yaml: "encoder:\n  keyframe_min_interval: fast\n",
		want: []want{{"encoder.keyframe_min_interval", 2, `expected a duration with a unit`}}},
	{name: "duration without unit", yaml: "encoder:\n  keyframe_min_interval: 500\n",
		want: []want{{"encoder.keyframe_min_interval", 2, `got "500"`}}},
	{name: "scalar for mapping", yaml: "rtsp: 5\n",
		want: []want{{"rtsp", 1, `expected a mapping, got "5"`}}},
	{name: "scalar for list", yaml: "users: admin\n",
		want: []want{{"users", 1, `expected a list, got the string "admin"`}}},
	{name: "mapping for string", yaml: "log:\n  level: {a: 1}\n",
		want: []want{{"log.level", 2, "expected a string, got a mapping"}}},
	{name: "list for secret", yaml: "users:\n  - name: a\n    password: [x]\n",
		want: []want{{"users[0].password", 3, "expected a string, got a list"}}},
	{name: "top level list", yaml: "- a\n- b\n",
		want: []want{{"", 1, "expected a mapping, got a list"}}},
	{name: "non-scalar key", yaml: "? [a]\n: 1\n",
		want: []want{{"", 1, "keys must be plain strings"}}},
	{name: "duplicate key", yaml: "log:\n  level: info\n  level: debug\n",
		want: []want{{"log.level", 3, `duplicate key "level" (first at line 2)`}}},
	{name: "anchor and alias", yaml: "device:\n  name: &n cam\n  id: *n\n",
		want: []want{{"device.name", 2, "anchors (&n) are not allowed"}, {"device.id", 3, "aliases (*n) are not allowed"}}},
	{name: "alias bomb", yaml: "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
		// Each anchor and alias name is reported once, not per use.
		want: []want{{"a", 1, "anchors (&a)"}, {"b", 2, "anchors (&b)"}, {"b[0]", 2, "aliases (*a)"},
			{"c", 3, "anchors (&c)"}, {"c[0]", 3, "aliases (*b)"}, {"d[0]", 4, "aliases (*c)"}}},
	{name: "merge key", yaml: "rtsp:\n  <<: {listen: \":1\"}\n",
		want: []want{{"rtsp.<<", 2, "merge keys are not supported"}}},
	{name: "custom tag", yaml: "device:\n  name: !!binary Y2Ft\n",
		want: []want{{"device.name", 2, `tag "!!binary" is not allowed`}}},
	{name: "multiple documents", yaml: "device:\n  name: a\n---\ndevice:\n  name: b\n",
		want: []want{{"", 3, "more than one YAML document"}}},
	// Scanner errors carry exact lines; yaml.v3 reports parser errors (an
	// unclosed "[") at the line where the enclosing construct began.
	{name: "syntax error", yaml: "rtsp:\n  listen: \":8554\"\n  path: a: b\n",
		want: []want{{"", 3, "invalid YAML: mapping values are not allowed"}}},
	{name: "tab indentation", yaml: "rtsp:\n\tlisten: x\n",
		want: []want{{"", 2, "invalid YAML"}}},
	{name: "empty", yaml: "", is: ErrEmpty},
	{name: "only comments", yaml: "# nothing here\n\n", is: ErrEmpty},
	{name: "null document", yaml: "---\n~\n", is: ErrEmpty},
	{name: "oversize", yaml: "device:\n  name: x\n" + strings.Repeat("#", MaxFileSize), is: ErrTooLarge},
	{name: "several structural problems at once", yaml: "rtsp:\n  udp: maybe\n  listn: x\nusers:\n  - name: a\n    role: [x]\n",
		want: []want{
			{"rtsp.udp", 2, "expected true or false"},
			{"rtsp.listn", 3, "unknown key"},
			{"users[0].role", 6, "expected a string"},
		}},
}

// base is a valid configuration with a line for every key a validation
// case might change; the cases apply edits to it so each one has exactly one
// mistake and a predictable line.
const base = `device:
  id: cam-1
  name: Front door
log:
  level: info
  format: text
source:
  type: testpattern
  testpattern:
    width: 1280
    height: 720
    fps: 30
    format: I420
  file:
    path: testdata/sample.h264
    fps: 30
encoder:
  type: auto
  bitrate_kbps: 2000
  gop: 0
  keyframe_on_join: true
  keyframe_min_interval: 500ms
rtsp:
  listen: ":8554"
  path: /stream
  udp: true
  udp_rtp_port: 8000
  max_readers: 64
  write_queue: 512
  anonymous: false
  digest_algorithms: [SHA-256, MD5]
  legacy_digest: true
users:
  - name: admin
    password: correct horse
    role: administrator
  - name: viewer
    password: battery staple
`

// edit replaces the first occurrence of old in base; it panics on a typo
// in a test table so a case cannot silently test the unedited base.
func edit(pairs ...string) string {
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic("edit: " + pairs[i] + " not in base")
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

type validateCase struct {
	name string
	yaml string
	want []want // nil: valid
}

var validateCases = []validateCase{
	{name: "base is valid", yaml: base},
	{name: "minimal file is valid", yaml: "rtsp:\n  anonymous: false\n"},
	{name: "anonymous with users is valid", yaml: edit("anonymous: false", "anonymous: true")},
	{name: "no users and not anonymous is valid", yaml: "users: []\n"},
	{name: "empty device id means host name", yaml: edit("id: cam-1", `id: ""`)},
	{name: "file source with existing file", yaml: edit("type: testpattern", "type: file")},
	{name: "gop and keyframe interval may be zero", yaml: edit("gop: 0", "gop: 0", "500ms", "0")},
	{name: "limits inclusive", yaml: edit("width: 1280", "width: 3840", "height: 720", "height: 64",
		"fps: 30", "fps: 60", "max_readers: 64", "max_readers: 1024", "write_queue: 512", "write_queue: 8192",
		"bitrate_kbps: 2000", "bitrate_kbps: 50000", "gop: 0", "gop: 600", "udp_rtp_port: 8000", "udp_rtp_port: 65534",
		"keyframe_min_interval: 500ms", "keyframe_min_interval: 10s")},
	{name: "long name and unicode password", yaml: edit("name: admin", "name: "+strings.Repeat("é", 32), "correct horse", "pässwörd")},
	{name: "longest password", yaml: edit("correct horse", strings.Repeat("p", 128))},

	{name: "device id charset", yaml: edit("id: cam-1", "id: cam/1"), want: []want{{"device.id", 2, "letters, digits"}}},
	{name: "device id too long", yaml: edit("id: cam-1", "id: "+strings.Repeat("a", 65)), want: []want{{"device.id", 2, "at most 64"}}},
	{name: "device name empty", yaml: edit("name: Front door", `name: ""`), want: []want{{"device.name", 3, "1 to 64 characters"}}},
	{name: "device name control character", yaml: edit("name: Front door", `name: "a\nb"`), want: []want{{"device.name", 3, "control characters"}}},
	{name: "log level", yaml: edit("level: info", "level: verbose"), want: []want{{"log.level", 5, `debug, info, warn, error, got "verbose"`}}},
	{name: "log format", yaml: edit("format: text", "format: xml"), want: []want{{"log.format", 6, "text, json"}}},
	{name: "source type", yaml: edit("type: testpattern", "type: camera"), want: []want{{"source.type", 8, "testpattern, file"}}},
	{name: "width odd", yaml: edit("width: 1280", "width: 1281"), want: []want{{"source.testpattern.width", 10, "even number between 64 and 3840, got 1281"}}},
	{name: "width too small", yaml: edit("width: 1280", "width: 32"), want: []want{{"source.testpattern.width", 10, "got 32"}}},
	{name: "height odd", yaml: edit("height: 720", "height: 721"), want: []want{{"source.testpattern.height", 11, "even number between 64 and 2160"}}},
	{name: "height too large", yaml: edit("height: 720", "height: 2162"), want: []want{{"source.testpattern.height", 11, "got 2162"}}},
	{name: "testpattern fps zero", yaml: edit("fps: 30", "fps: 0"), want: []want{{"source.testpattern.fps", 12, "between 1 and 60, got 0"}}},
	{name: "testpattern fps too high", yaml: edit("fps: 30", "fps: 61"), want: []want{{"source.testpattern.fps", 12, "got 61"}}},
	{name: "pixel format", yaml: edit("format: I420", "format: RGB"), want: []want{{"source.testpattern.format", 13, "I420, NV12"}}},
	{name: "file fps too high", yaml: edit("path: testdata/sample.h264\n    fps: 30", "path: testdata/sample.h264\n    fps: 121"), want: []want{{"source.file.fps", 16, "between 1 and 120"}}},
	{name: "file path required", yaml: "source:\n  type: file\n", want: []want{{"source.file.path", 2, "required when source.type is file"}}},
	{name: "file path missing", yaml: edit("type: testpattern", "type: file", "testdata/sample.h264", "testdata/nope.h264"), want: []want{{"source.file.path", 15, "no such file"}}},
	{name: "file path is a directory", yaml: edit("type: testpattern", "type: file", "testdata/sample.h264", "testdata"), want: []want{{"source.file.path", 15, "not a regular file"}}},
	{name: "encoder type", yaml: edit("type: auto", "type: gpu"), want: []want{{"encoder.type", 18, "auto, software, hardware"}}},
	{name: "bitrate too low", yaml: edit("bitrate_kbps: 2000", "bitrate_kbps: 63"), want: []want{{"encoder.bitrate_kbps", 19, "between 64 and 50000"}}},
	{name: "bitrate too high", yaml: edit("bitrate_kbps: 2000", "bitrate_kbps: 50001"), want: []want{{"encoder.bitrate_kbps", 19, "got 50001"}}},
	{name: "gop negative", yaml: edit("gop: 0", "gop: -1"), want: []want{{"encoder.gop", 20, "between 1 and 600, got -1"}}},
	{name: "gop too large", yaml: edit("gop: 0", "gop: 601"), want: []want{{"encoder.gop", 20, "got 601"}}},
	{name: "keyframe interval negative", yaml: edit("500ms", "-1s"), want: []want{{"encoder.keyframe_min_interval", 22, "between 0s and 10s, got -1s"}}},
	{name: "keyframe interval too long", yaml: edit("500ms", "10.5s"), want: []want{{"encoder.keyframe_min_interval", 22, "got 10.5s"}}},
	{name: "listen without port", yaml: edit(`listen: ":8554"`, "listen: \"8554\""), want: []want{{"rtsp.listen", 24, "must be host:port"}}},
	{name: "listen port zero", yaml: edit(`":8554"`, `":0"`), want: []want{{"rtsp.listen", 24, "between 1 and 65535"}}},
	{name: "listen port too large", yaml: edit(`":8554"`, `":65536"`), want: []want{{"rtsp.listen", 24, `got "65536"`}}},
	{name: "listen named port", yaml: edit(`":8554"`, `":rtsp"`), want: []want{{"rtsp.listen", 24, `got "rtsp"`}}},
	{name: "listen bad host", yaml: edit(`":8554"`, `"my host:8554"`), want: []want{{"rtsp.listen", 24, "host must be"}}},
	{name: "path without slash", yaml: edit("path: /stream", "path: stream"), want: []want{{"rtsp.path", 25, "must start with '/'"}}},
	{name: "path with space", yaml: edit("path: /stream", `path: "/my stream"`), want: []want{{"rtsp.path", 25, "no whitespace"}}},
	{name: "path with query", yaml: edit("path: /stream", `path: "/stream?x=1"`), want: []want{{"rtsp.path", 25, "'?'"}}},
	{name: "path with fragment", yaml: edit("path: /stream", `path: "/stream#x"`), want: []want{{"rtsp.path", 25, "'#'"}}},
	{name: "rtp port odd", yaml: edit("udp_rtp_port: 8000", "udp_rtp_port: 8001"), want: []want{{"rtsp.udp_rtp_port", 27, "even number between 1024 and 65534"}}},
	{name: "rtp port privileged", yaml: edit("udp_rtp_port: 8000", "udp_rtp_port: 1022"), want: []want{{"rtsp.udp_rtp_port", 27, "got 1022"}}},
	{name: "rtp port too high", yaml: edit("udp_rtp_port: 8000", "udp_rtp_port: 65536"), want: []want{{"rtsp.udp_rtp_port", 27, "got 65536"}}},
	{name: "rtp port equals rtsp port", yaml: edit(`":8554"`, `":8000"`), want: []want{{"rtsp.udp_rtp_port", 27, "must differ from the RTSP port 8000"}}},
	{name: "rtcp port equals rtsp port", yaml: edit(`":8554"`, `":8001"`), want: []want{{"rtsp.udp_rtp_port", 27, "RTCP port 8001"}}},
	{name: "max readers zero", yaml: edit("max_readers: 64", "max_readers: 0"), want: []want{{"rtsp.max_readers", 28, "between 1 and 1024, got 0"}}},
	{name: "max readers too many", yaml: edit("max_readers: 64", "max_readers: 1025"), want: []want{{"rtsp.max_readers", 28, "got 1025"}}},
	{name: "write queue not power of two", yaml: edit("write_queue: 512", "write_queue: 500"), want: []want{{"rtsp.write_queue", 29, "power of two between 64 and 8192, got 500"}}},
	{name: "write queue too small", yaml: edit("write_queue: 512", "write_queue: 32"), want: []want{{"rtsp.write_queue", 29, "got 32"}}},
	{name: "write queue too large", yaml: edit("write_queue: 512", "write_queue: 16384"), want: []want{{"rtsp.write_queue", 29, "got 16384"}}},
	{name: "no digest algorithms", yaml: edit("[SHA-256, MD5]", "[]"), want: []want{{"rtsp.digest_algorithms", 31, "at least one"}}},
	{name: "unknown digest algorithm", yaml: edit("[SHA-256, MD5]", "[SHA-256, SHA-1]"), want: []want{{"rtsp.digest_algorithms[1]", 31, `SHA-256, MD5, got "SHA-1"`}}},
	{name: "duplicate digest algorithm", yaml: edit("[SHA-256, MD5]", "[MD5, MD5]"), want: []want{{"rtsp.digest_algorithms[1]", 31, "already listed"}}},
	{name: "user name empty", yaml: edit("name: admin", `name: ""`), want: []want{{"users[0].name", 34, "1 to 32 characters"}}},
	{name: "user name colon", yaml: edit("name: admin", `name: "ad:min"`), want: []want{{"users[0].name", 34, "without ':'"}}},
	{name: "user name quote", yaml: edit("name: admin", `name: 'ad"min'`), want: []want{{"users[0].name", 34, `got "ad\"min"`}}},
	{name: "user name control", yaml: edit("name: admin", `name: "ad\tmin"`), want: []want{{"users[0].name", 34, "control characters"}}},
	{name: "user name too long", yaml: edit("name: admin", "name: "+strings.Repeat("a", 33)), want: []want{{"users[0].name", 34, "1 to 32"}}},
	{name: "duplicate user", yaml: edit("name: viewer", "name: admin"), want: []want{{"users[1].name", 37, `duplicate user "admin" (also users[0])`}}},
	{name: "password too short", yaml: edit("correct horse", "1234567"), want: []want{{"users[0].password", 35, "8 to 128 characters"}}},
	{name: "password too long", yaml: edit("correct horse", strings.Repeat("p", 129)), want: []want{{"users[0].password", 35, "8 to 128 characters"}}},
	{name: "password missing reported at the user", yaml: edit("    password: battery staple\n", ""), want: []want{{"users[1].password", 37, "8 to 128"}}},
	{name: "role", yaml: edit("role: administrator", "role: root"), want: []want{{"users[0].role", 36, `administrator, operator, user, got "root"`}}},
	{name: "five mistakes reported at once", yaml: edit(
		"level: info", "level: loud", // line 5
		"height: 720", "height: 7", // line 11
		"bitrate_kbps: 2000", "bitrate_kbps: 1", // line 19
		"write_queue: 512", "write_queue: 3", // line 29
		"role: administrator", "role: god", // line 36
	), want: []want{
		{"log.level", 5, "must be one of"},
		{"source.testpattern.height", 11, "even number"},
		{"encoder.bitrate_kbps", 19, "between 64 and 50000"},
		{"rtsp.write_queue", 29, "power of two"},
		{"users[0].role", 36, "must be one of"},
	}},
}
