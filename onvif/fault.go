package onvif

import (
	"fmt"
	"net/http"
)

// Namespaces of the envelope and of ONVIF faults.
const (
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsTER    = "http://www.onvif.org/ver10/error"
)

// Fault is a SOAP fault answered to the client. Code is "Sender",
// "Receiver" or "VersionMismatch"; Subcodes are ter: local names, outermost
// first; Reason is fixed text from the ONVIF Core fault table, never
// request data or internal detail. Fault is an error so handlers can
// return it.
type Fault struct {
	Code     string
	Subcodes []string
	Reason   string
	Status   int // HTTP status
}

func (f *Fault) Error() string {
	return fmt.Sprintf("onvif fault %s %v: %s", f.Code, f.Subcodes, f.Reason)
}

// The faults the service answers (ONVIF Core, "SOAP fault messages").
func faultNotAuthorized() *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"NotAuthorized"}, Reason: "Sender not Authorized", Status: http.StatusBadRequest}
}

func faultActionNotSupported() *Fault {
	return &Fault{Code: "Receiver", Subcodes: []string{"ActionNotSupported"}, Reason: "Optional Action Not Implemented", Status: http.StatusInternalServerError}
}

func faultWellFormed() *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"WellFormed"}, Reason: "XML Well-formed violation", Status: http.StatusBadRequest}
}

func faultTooLarge() *Fault {
	f := faultWellFormed()
	f.Reason = "Request too large"
	f.Status = http.StatusRequestEntityTooLarge
	return f
}

func faultVersionMismatch() *Fault {
	return &Fault{Code: "VersionMismatch", Reason: "SOAP version mismatch", Status: http.StatusBadRequest}
}

func faultInvalidArgs() *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"InvalidArgs"}, Reason: "Invalid arguments", Status: http.StatusBadRequest}
}

// faultInvalidArgVal is env:Sender/ter:InvalidArgVal/ter:<sub>.
func faultInvalidArgVal(sub, reason string) *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"InvalidArgVal", sub}, Reason: reason, Status: http.StatusBadRequest}
}

func faultBusy() *Fault {
	return &Fault{Code: "Receiver", Subcodes: []string{"Action"}, Reason: "The device is busy", Status: http.StatusServiceUnavailable}
}
