package onvif

import (
	"encoding/xml"
	"fmt"
	"io"
)

type soapVersion int

const (
	soap12 soapVersion = iota
	soap11
)

func (v soapVersion) ns() string {
	if v == soap11 {
		return nsSOAP11
	}
	return nsSOAP12
}

func (v soapVersion) contentType() string {
	if v == soap11 {
		return "text/xml; charset=utf-8"
	}
	return "application/soap+xml; charset=utf-8"
}

// envelope is what the server needs from a request.
type envelope struct {
	version  soapVersion
	op       xml.Name // the body element
	body     *node
	security *node // wsse:Security header, nil if absent
}

// parseEnvelope reads one bounded SOAP envelope. Every error is a *Fault.
func parseEnvelope(r io.Reader) (*envelope, error) {
	root, err := parseTree(&limitReader{r: r, n: maxBodyBytes})
	switch {
	case err == errTooLarge:
		return nil, faultTooLarge()
	case err != nil:
		return nil, fmt.Errorf("%w (%w)", faultWellFormed(), err)
	}
	return envelopeOf(root)
}

func envelopeOf(root *node) (*envelope, error) {
	e := &envelope{}
	switch {
	case root.name.Local != "Envelope":
		return nil, faultWellFormed()
	case root.name.Space == nsSOAP12:
		e.version = soap12
	case root.name.Space == nsSOAP11:
		e.version = soap11
	default:
		return nil, faultVersionMismatch()
	}
	ns := root.name.Space
	var header, body *node
	for i, k := range root.kids {
		switch {
		case k.name.Space == ns && k.name.Local == "Header" && i == 0:
			header = k
		case k.name.Space == ns && k.name.Local == "Body" && body == nil:
			body = k
		default:
			return nil, faultWellFormed()
		}
	}
	if body == nil || len(body.kids) != 1 {
		return nil, faultWellFormed()
	}
	e.body = body.kids[0]
	e.op = e.body.name
	if header != nil {
		for _, h := range header.kids {
			if h.name.Space == nsWSSE && h.name.Local == "Security" {
				if e.security != nil {
					return nil, faultWellFormed()
				}
				e.security = h
			}
		}
	}
	return e, nil
}
