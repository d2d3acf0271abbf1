package onvif

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Parser bounds. A SOAP request from a real client is a few KiB with a
// nesting depth around 10.
const (
	maxBodyBytes = 1 << 20 // bytes of HTTP body
	maxDepth     = 32      // element nesting
	maxElements  = 4096    // elements in one document
	maxAttrs     = 32      // attributes (and namespace declarations) per element
)

// Errors of the XML layer; all become an env:Sender fault without detail.
var (
	errDTD      = errors.New("onvif: DTD or directive in request")
	errTooDeep  = errors.New("onvif: XML nested too deeply")
	errTooMany  = errors.New("onvif: too many XML elements or attributes")
	errNotXML   = errors.New("onvif: malformed XML")
	errTooLarge = errors.New("onvif: request body too large")
)

// node is a parsed element: namespace-resolved name, attributes, the
// concatenated character data directly inside it, and its child elements.
type node struct {
	name xml.Name
	attr []xml.Attr
	text []byte
	kids []*node
}

// child returns the first child with namespace ns (any namespace if ns is
// "*") and local name local, or nil.
func (n *node) child(ns, local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name.Local == local && (ns == "*" || k.name.Space == ns) {
			return k
		}
	}
	return nil
}

// attrValue returns the attribute with the given local name in no namespace.
func (n *node) attrValue(local string) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// value returns the trimmed text of n, or "" for nil.
func (n *node) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(string(n.text))
}

// parseTree reads one XML document into a tree, refusing directives (DTDs),
// processing instructions other than the XML declaration, non-UTF-8
// encodings, undeclared entities and anything beyond the bounds above.
func parseTree(r io.Reader) (*node, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("%w: encoding %.16q", errNotXML, label)
	}
	var (
		root  *node
		stack []*node
		count int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil || len(stack) != 0 {
				return nil, fmt.Errorf("%w: unexpected end", errNotXML)
			}
			return root, nil
		}
		if err != nil {
			var mbe *maxBytesError
			if errors.As(err, &mbe) {
				return nil, errTooLarge
			}
			return nil, fmt.Errorf("%w: %w", errNotXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, errTooDeep
			}
			count++
			if count > maxElements || len(t.Attr) > maxAttrs {
				return nil, errTooMany
			}
			n := &node{name: t.Name, attr: append([]xml.Attr(nil), t.Attr...)}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("%w: several root elements", errNotXML)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			} else if len(strings.TrimSpace(string(t))) != 0 {
				return nil, fmt.Errorf("%w: text outside the root element", errNotXML)
			}
		case xml.Directive:
			return nil, errDTD
		case xml.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, fmt.Errorf("%w: processing instruction", errNotXML)
			}
		case xml.Comment:
		}
	}
}

// maxBytesError mirrors *http.MaxBytesError so this file needs no net/http;
// see limitReader.
type maxBytesError struct{}

func (*maxBytesError) Error() string { return errTooLarge.Error() }

// limitReader returns r's first n bytes and then *maxBytesError if more follow.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, &maxBytesError{}
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	if l.n < 0 {
		return k, &maxBytesError{}
	}
	return k, err
}
