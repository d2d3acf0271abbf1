package onvif

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	nsTEV   = "http://www.onvif.org/ver10/events/wsdl"
	nsWSNT  = "http://docs.oasis-open.org/wsn/b-2"
	nsWSA5  = "http://www.w3.org/2005/08/addressing"
	nsWSTOP = "http://docs.oasis-open.org/wsn/t-1"
	nsTNS1  = "http://www.onvif.org/ver10/topics"
	nsXS    = "http://www.w3.org/2001/XMLSchema"

	eventsPath    = "/onvif/events_service"
	pullPointPath = eventsPath + "/pullpoint/"
	dialectSet    = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
)

// rawResponse is a response body written by hand: the element with its own
// namespace declarations and verbatim content.
type rawResponse struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
}

func raw(name string, inner string, ns ...string) rawResponse {
	r := rawResponse{XMLName: xml.Name{Local: name}, Inner: inner}
	for i := 0; i+1 < len(ns); i += 2 {
		r.Attrs = append(r.Attrs, xml.Attr{Name: xml.Name{Local: "xmlns:" + ns[i]}, Value: ns[i+1]})
	}
	return r
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

// marshalInner renders v for use inside a rawResponse.
func marshalInner(v any) string {
	b, err := xml.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func xsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func faultNoSubscription() *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"InvalidArgVal", "InvalidSubscription"}, Reason: "Unknown or expired subscription", Status: http.StatusBadRequest}
}

// subscriptionID is the id in a pull-point address path.
func (c *call) subscriptionID() string {
	id, ok := strings.CutPrefix(c.path, pullPointPath)
	if !ok || len(id) != 32 {
		return ""
	}
	return id
}

var durationRE = regexp.MustCompile(`^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})(?:\.\d{1,9})?S)?)?$`)

// parseLifetime reads an xs:duration (PT60S) or an absolute xs:dateTime
// relative to now; "" gives def. The result is clamped to
// [1s, maxSubLifetime].
func parseLifetime(s string, now time.Time, def time.Duration) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	var d time.Duration
	switch {
	case s == "":
		d = def
	case strings.HasPrefix(s, "P"):
		m := durationRE.FindStringSubmatch(s)
		if m == nil || s == "P" || s == "PT" {
			return 0, false
		}
		for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
			if m[i+1] != "" {
				n, _ := strconv.Atoi(m[i+1])
				d += time.Duration(n) * unit
			}
		}
	default:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		d = t.Sub(now)
	}
	return min(max(d, time.Second), maxSubLifetime), true
}

func eventServiceCaps() rawResponse {
	r := raw("tev:Capabilities", "", "tev", nsTEV)
	for _, a := range [][2]string{{"WSSubscriptionPolicySupport", "false"}, {"WSPausableSubscriptionManagerInterfaceSupport", "false"},
		{"MaxNotificationProducers", "0"}, {"MaxPullPoints", strconv.Itoa(maxPullPoints)}, {"PersistentNotificationStorage", "false"}} {
		r.Attrs = append(r.Attrs, xml.Attr{Name: xml.Name{Local: a[0]}, Value: a[1]})
	}
	return r
}

func getEventServiceCapabilities(*call) (any, error) {
	return struct {
		XMLName xml.Name `xml:"tev:GetServiceCapabilitiesResponse"`
		Xmlns   string   `xml:"xmlns:tev,attr"`
		Caps    rawResponse
	}{Xmlns: nsTEV, Caps: eventServiceCaps()}, nil
}

func getEventProperties(c *call) (any, error) {
	desc := func(source, sourceType, data string) string {
		return `<tt:MessageDescription IsProperty="true"><tt:Source><tt:SimpleItemDescription Name="` + source + `" Type="` + sourceType + `"/></tt:Source>` +
			`<tt:Data><tt:SimpleItemDescription Name="` + data + `" Type="xs:boolean"/></tt:Data></tt:MessageDescription>`
	}
	device := ""
	if c.s.events.hasInputs() {
		device = `<tns1:Device><Trigger><DigitalInput wstop:topic="true">` + desc("InputToken", "tt:ReferenceToken", "LogicalState") +
			`</DigitalInput></Trigger></tns1:Device>`
	}
	cell := `<tns1:RuleEngine><CellMotionDetector><Motion wstop:topic="true"><tt:MessageDescription IsProperty="true"><tt:Source>` +
		`<tt:SimpleItemDescription Name="VideoSourceConfigurationToken" Type="tt:ReferenceToken"/>` +
		`<tt:SimpleItemDescription Name="VideoAnalyticsConfigurationToken" Type="tt:ReferenceToken"/>` +
		`<tt:SimpleItemDescription Name="Rule" Type="xs:string"/></tt:Source>` +
		`<tt:Data><tt:SimpleItemDescription Name="IsMotion" Type="xs:boolean"/></tt:Data></tt:MessageDescription>` +
		`</Motion></CellMotionDetector></tns1:RuleEngine>`
	return raw("tev:GetEventPropertiesResponse",
		`<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>`+
			`<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>`+
			`<wstop:TopicSet>`+device+cell+`<tns1:VideoSource>`+
			`<MotionAlarm wstop:topic="true">`+desc("Source", "tt:ReferenceToken", "State")+`</MotionAlarm>`+
			`<SignalLoss wstop:topic="true">`+desc("Source", "tt:ReferenceToken", "State")+`</SignalLoss>`+
			`</tns1:VideoSource></wstop:TopicSet>`+
			`<wsnt:TopicExpressionDialect>`+dialectSet+`</wsnt:TopicExpressionDialect>`+
			`<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>`+
			`<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>`+
			`<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>`,
		"tev", nsTEV, "wsnt", nsWSNT, "wstop", nsWSTOP, "tns1", nsTNS1, "xs", nsXS), nil
}

// The cell motion detector's rule, as the analytics configuration names
// it; the device has one, fixed.
const (
	analyticsToken = "video_analytics_config"
	motionRule     = "MotionDetectorRule"
)

// messageItems renders a property message's Source and Data, as
// GetEventProperties describes them for its topic.
func messageItems(e event) string {
	state := strconv.FormatBool(e.state)
	switch e.topic {
	case TopicDigitalInput:
		return `<tt:Source><tt:SimpleItem Name="InputToken" Value="` + esc(e.source) + `"/></tt:Source>` +
			`<tt:Data><tt:SimpleItem Name="LogicalState" Value="` + state + `"/></tt:Data>`
	case TopicCellMotion:
		return `<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="` + esc(e.source) + `"/>` +
			`<tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="` + analyticsToken + `"/>` +
			`<tt:SimpleItem Name="Rule" Value="` + motionRule + `"/></tt:Source>` +
			`<tt:Data><tt:SimpleItem Name="IsMotion" Value="` + state + `"/></tt:Data>`
	}
	return `<tt:Source><tt:SimpleItem Name="Source" Value="` + esc(e.source) + `"/></tt:Source>` +
		`<tt:Data><tt:SimpleItem Name="State" Value="` + state + `"/></tt:Data>`
}

// createPullPointSubscription opens a bounded, expiring pull point. Filters
// are accepted and ignored: the device has two topics.
func createPullPointSubscription(c *call) (any, error) {
	now := c.s.clk.Now()
	life, ok := parseLifetime(c.arg.child("*", "InitialTerminationTime").value(), now, defaultSubLifetime)
	if !ok {
		return nil, faultInvalidArgVal("InvalidArgs", "Bad InitialTerminationTime")
	}
	id, expires, ok := c.s.events.create(life)
	if !ok {
		return nil, &Fault{Code: "Receiver", Subcodes: []string{"Action", "MaxPullPoints"}, Reason: "Too many pull-point subscriptions", Status: http.StatusServiceUnavailable}
	}
	return raw("tev:CreatePullPointSubscriptionResponse",
		`<tev:SubscriptionReference><wsa:Address>`+esc(c.base+pullPointPath+id)+`</wsa:Address></tev:SubscriptionReference>`+
			`<wsnt:CurrentTime>`+xsTime(now)+`</wsnt:CurrentTime><wsnt:TerminationTime>`+xsTime(expires)+`</wsnt:TerminationTime>`,
		"tev", nsTEV, "wsa", nsWSA5, "wsnt", nsWSNT), nil
}

// pullMessages long-polls the subscription named by the request path.
func pullMessages(c *call) (any, error) {
	id := c.subscriptionID()
	wait, ok := parseLifetime(c.arg.child("*", "Timeout").value(), c.s.clk.Now(), maxPullWait)
	if !ok {
		return nil, faultInvalidArgVal("InvalidArgs", "Bad Timeout")
	}
	wait = min(wait, maxPullWait)
	limit, err := strconv.Atoi(c.arg.child("*", "MessageLimit").value())
	if err != nil || limit <= 0 {
		limit = maxPullMessages
	}
	limit = min(limit, maxPullMessages)
	ctx := c.ctx
	if ctx == nil {
		return nil, faultNoSubscription()
	}
	evs, expires, ok := c.s.events.pull(ctx, id, wait, limit)
	if !ok || id == "" {
		return nil, faultNoSubscription()
	}
	var b strings.Builder
	b.WriteString(`<tev:CurrentTime>` + xsTime(c.s.clk.Now()) + `</tev:CurrentTime><tev:TerminationTime>` + xsTime(expires) + `</tev:TerminationTime>`)
	for _, e := range evs {
		b.WriteString(`<wsnt:NotificationMessage><wsnt:Topic Dialect="` + dialectSet + `">` + e.topic + `</wsnt:Topic><wsnt:Message>` +
			`<tt:Message UtcTime="` + xsTime(e.at) + `" PropertyOperation="` + e.op + `">` + messageItems(e) +
			`</tt:Message></wsnt:Message></wsnt:NotificationMessage>`)
	}
	return raw("tev:PullMessagesResponse", b.String(), "tev", nsTEV, "wsnt", nsWSNT, "tns1", nsTNS1), nil
}

func renew(c *call) (any, error) {
	now := c.s.clk.Now()
	life, ok := parseLifetime(c.arg.child("*", "TerminationTime").value(), now, defaultSubLifetime)
	if !ok {
		return nil, faultInvalidArgVal("InvalidArgs", "Bad TerminationTime")
	}
	expires, ok := c.s.events.renew(c.subscriptionID(), life)
	if !ok {
		return nil, faultNoSubscription()
	}
	return raw("wsnt:RenewResponse", `<wsnt:TerminationTime>`+xsTime(expires)+`</wsnt:TerminationTime><wsnt:CurrentTime>`+xsTime(now)+`</wsnt:CurrentTime>`,
		"wsnt", nsWSNT), nil
}

func unsubscribe(c *call) (any, error) {
	if !c.s.events.unsubscribe(c.subscriptionID()) {
		return nil, faultNoSubscription()
	}
	return raw("wsnt:UnsubscribeResponse", "", "wsnt", nsWSNT), nil
}

func setEventSynchronizationPoint(c *call) (any, error) {
	if !c.s.events.synchronize(c.subscriptionID()) {
		return nil, faultNoSubscription()
	}
	return raw("tev:SetSynchronizationPointResponse", "", "tev", nsTEV), nil
}

// PublishEvent sets a property topic (TopicMotionAlarm, TopicSignalLoss);
// subscriptions get a message when the state changes. Safe from any
// goroutine, never blocks for long.
func (s *Server) PublishEvent(topic string, state bool) {
	s.events.publish(property{topic, sourceToken}, state)
	if topic == TopicMotionAlarm {
		s.events.publish(property{TopicCellMotion, vscToken}, state)
	}
}

// SetDigitalInput sets the logical state of the digital input token (one
// of Config.DigitalInputs; others are ignored). Subscriptions get a
// Changed message when it changes, and new ones its state as Initialized.
// Call it once at start with the input's real state. Safe from any
// goroutine, never blocks for long.
func (s *Server) SetDigitalInput(token string, state bool) {
	s.events.publish(property{TopicDigitalInput, token}, state)
}
