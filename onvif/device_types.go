package onvif

import "encoding/xml"

// Response types of the device service. Element names carry their prefix
// literally (tds:, tt:); the prefixes are declared on the Envelope. These
// types are only marshalled, never unmarshalled.

type getSystemDateAndTimeResponse struct {
	XMLName xml.Name          `xml:"tds:GetSystemDateAndTimeResponse"`
	SDT     systemDateAndTime `xml:"tds:SystemDateAndTime"`
}

type systemDateAndTime struct {
	DateTimeType    string   `xml:"tt:DateTimeType"`
	DaylightSavings bool     `xml:"tt:DaylightSavings"`
	TZ              string   `xml:"tt:TimeZone>tt:TZ"`
	UTC             dateTime `xml:"tt:UTCDateTime"`
	Local           dateTime `xml:"tt:LocalDateTime"`
}

type dateTime struct {
	Hour   int `xml:"tt:Time>tt:Hour"`
	Minute int `xml:"tt:Time>tt:Minute"`
	Second int `xml:"tt:Time>tt:Second"`
	Year   int `xml:"tt:Date>tt:Year"`
	Month  int `xml:"tt:Date>tt:Month"`
	Day    int `xml:"tt:Date>tt:Day"`
}

type getDeviceInformationResponse struct {
	XMLName         xml.Name `xml:"tds:GetDeviceInformationResponse"`
	Manufacturer    string   `xml:"tds:Manufacturer"`
	Model           string   `xml:"tds:Model"`
	FirmwareVersion string   `xml:"tds:FirmwareVersion"`
	SerialNumber    string   `xml:"tds:SerialNumber"`
	HardwareID      string   `xml:"tds:HardwareId"`
}

type getCapabilitiesResponse struct {
	XMLName xml.Name     `xml:"tds:GetCapabilitiesResponse"`
	Caps    capabilities `xml:"tds:Capabilities"`
}

type capabilities struct {
	Device  *deviceCapabilities  `xml:"tt:Device,omitempty"`
	Events  *eventsCapabilities  `xml:"tt:Events,omitempty"`
	Imaging *imagingCapabilities `xml:"tt:Imaging,omitempty"`
	Media   *mediaCapabilities   `xml:"tt:Media,omitempty"`
}

type imagingCapabilities struct {
	XAddr string `xml:"tt:XAddr"`
}

type eventsCapabilities struct {
	XAddr                                         string `xml:"tt:XAddr"`
	WSSubscriptionPolicySupport                   bool   `xml:"tt:WSSubscriptionPolicySupport"`
	WSPullPointSupport                            bool   `xml:"tt:WSPullPointSupport"`
	WSPausableSubscriptionManagerInterfaceSupport bool   `xml:"tt:WSPausableSubscriptionManagerInterfaceSupport"`
}

type deviceCapabilities struct {
	XAddr    string `xml:"tt:XAddr"`
	Network  networkCaps
	System   systemCaps
	Security securityCaps
}

type networkCaps struct {
	XMLName           xml.Name `xml:"tt:Network"`
	IPFilter          bool     `xml:"tt:IPFilter"`
	ZeroConfiguration bool     `xml:"tt:ZeroConfiguration"`
	IPVersion6        bool     `xml:"tt:IPVersion6"`
	DynDNS            bool     `xml:"tt:DynDNS"`
}

type systemCaps struct {
	XMLName           xml.Name  `xml:"tt:System"`
	DiscoveryResolve  bool      `xml:"tt:DiscoveryResolve"`
	DiscoveryBye      bool      `xml:"tt:DiscoveryBye"`
	RemoteDiscovery   bool      `xml:"tt:RemoteDiscovery"`
	SystemBackup      bool      `xml:"tt:SystemBackup"`
	SystemLogging     bool      `xml:"tt:SystemLogging"`
	FirmwareUpgrade   bool      `xml:"tt:FirmwareUpgrade"`
	SupportedVersions []version `xml:"tt:SupportedVersions"`
}

type version struct {
	Major int `xml:"tt:Major"`
	Minor int `xml:"tt:Minor"`
}

type securityCaps struct {
	XMLName              xml.Name `xml:"tt:Security"`
	TLS11                bool     `xml:"tt:TLS1.1"`
	TLS12                bool     `xml:"tt:TLS1.2"`
	OnboardKeyGeneration bool     `xml:"tt:OnboardKeyGeneration"`
	AccessPolicyConfig   bool     `xml:"tt:AccessPolicyConfig"`
	X509Token            bool     `xml:"tt:X.509Token"`
	SAMLToken            bool     `xml:"tt:SAMLToken"`
	KerberosToken        bool     `xml:"tt:KerberosToken"`
	RELToken             bool     `xml:"tt:RELToken"`
}

type mediaCapabilities struct {
	XAddr     string `xml:"tt:XAddr"`
	Streaming struct {
		RTPMulticast bool `xml:"tt:RTPMulticast"`
		RTPTCP       bool `xml:"tt:RTP_TCP"`
		RTPRTSPTCP   bool `xml:"tt:RTP_RTSP_TCP"`
	} `xml:"tt:StreamingCapabilities"`
}

type getServicesResponse struct {
	XMLName  xml.Name  `xml:"tds:GetServicesResponse"`
	Services []service `xml:"tds:Service"`
}

type service struct {
	Namespace    string `xml:"tds:Namespace"`
	XAddr        string `xml:"tds:XAddr"`
	Capabilities *struct {
		Inner any
	} `xml:"tds:Capabilities,omitempty"`
	Version version `xml:"tds:Version"`
}

// deviceServiceCapabilities is tds:DeviceServiceCapabilities; its element
// name depends on where it appears (tds:Capabilities in both places).
type deviceServiceCapabilities struct {
	XMLName xml.Name `xml:"tds:Capabilities"`
	Network struct {
		IPFilter          bool `xml:"IPFilter,attr"`
		ZeroConfiguration bool `xml:"ZeroConfiguration,attr"`
		IPVersion6        bool `xml:"IPVersion6,attr"`
		DynDNS            bool `xml:"DynDNS,attr"`
		HostnameFromDHCP  bool `xml:"HostnameFromDHCP,attr"`
	} `xml:"tds:Network"`
	Security struct {
		UsernameToken     bool `xml:"UsernameToken,attr"`
		HTTPDigest        bool `xml:"HttpDigest,attr"`
		MaxUsers          int  `xml:"MaxUsers,attr,omitempty"`
		MaxUserNameLength int  `xml:"MaxUserNameLength,attr,omitempty"`
		MaxPasswordLength int  `xml:"MaxPasswordLength,attr,omitempty"`
	} `xml:"tds:Security"`
	System struct {
		DiscoveryResolve bool `xml:"DiscoveryResolve,attr"`
		DiscoveryBye     bool `xml:"DiscoveryBye,attr"`
		RemoteDiscovery  bool `xml:"RemoteDiscovery,attr"`
		SystemBackup     bool `xml:"SystemBackup,attr"`
		SystemLogging    bool `xml:"SystemLogging,attr"`
		FirmwareUpgrade  bool `xml:"FirmwareUpgrade,attr"`
		// What the device does not offer over ONVIF.
		NetworkConfigNotSupported bool `xml:"NetworkConfigNotSupported,attr"`
		UserConfigNotSupported    bool `xml:"UserConfigNotSupported,attr"`
	} `xml:"tds:System"`
}

type getDeviceServiceCapabilitiesResponse struct {
	XMLName xml.Name `xml:"tds:GetServiceCapabilitiesResponse"`
	Caps    deviceServiceCapabilities
}

type getScopesResponse struct {
	XMLName xml.Name `xml:"tds:GetScopesResponse"`
	Scopes  []scope  `xml:"tds:Scopes"`
}

type scope struct {
	Def  string `xml:"tt:ScopeDef"`
	Item string `xml:"tt:ScopeItem"`
}

type getHostnameResponse struct {
	XMLName  xml.Name `xml:"tds:GetHostnameResponse"`
	FromDHCP bool     `xml:"tds:HostnameInformation>tt:FromDHCP"`
	Name     string   `xml:"tds:HostnameInformation>tt:Name,omitempty"`
}

type getNetworkInterfacesResponse struct {
	XMLName    xml.Name           `xml:"tds:GetNetworkInterfacesResponse"`
	Interfaces []networkInterface `xml:"tds:NetworkInterfaces"`
}

type networkInterface struct {
	Token   string `xml:"token,attr"`
	Enabled bool   `xml:"tt:Enabled"`
	Info    struct {
		Name      string `xml:"tt:Name"`
		HwAddress string `xml:"tt:HwAddress"`
		MTU       int    `xml:"tt:MTU,omitempty"`
	} `xml:"tt:Info"`
	IPv4 *struct {
		Enabled bool `xml:"tt:Enabled"`
		Config  struct {
			Manual []prefixedIPv4 `xml:"tt:Manual"`
			DHCP   bool           `xml:"tt:DHCP"`
		} `xml:"tt:Config"`
	} `xml:"tt:IPv4,omitempty"`
}

type prefixedIPv4 struct {
	Address      string `xml:"tt:Address"`
	PrefixLength int    `xml:"tt:PrefixLength"`
}

type getDNSResponse struct {
	XMLName   xml.Name `xml:"tds:GetDNSResponse"`
	FromDHCP  bool     `xml:"tds:DNSInformation>tt:FromDHCP"`
	DNSManual []ipAddr `xml:"tds:DNSInformation>tt:DNSManual"`
}

type ipAddr struct {
	Type string `xml:"tt:Type"`
	IPv4 string `xml:"tt:IPv4Address,omitempty"`
	IPv6 string `xml:"tt:IPv6Address,omitempty"`
}

type getNetworkProtocolsResponse struct {
	XMLName   xml.Name          `xml:"tds:GetNetworkProtocolsResponse"`
	Protocols []networkProtocol `xml:"tds:NetworkProtocols"`
}

type networkProtocol struct {
	Name    string `xml:"tt:Name"`
	Enabled bool   `xml:"tt:Enabled"`
	Port    []int  `xml:"tt:Port"`
}

type getUsersResponse struct {
	XMLName xml.Name `xml:"tds:GetUsersResponse"`
	Users   []user   `xml:"tds:User"`
}

type user struct {
	Username  string `xml:"tt:Username"`
	UserLevel string `xml:"tt:UserLevel"`
}

type getWsdlURLResponse struct {
	XMLName xml.Name `xml:"tds:GetWsdlUrlResponse"`
	URL     string   `xml:"tds:WsdlUrl"`
}

type getDiscoveryModeResponse struct {
	XMLName xml.Name `xml:"tds:GetDiscoveryModeResponse"`
	Mode    string   `xml:"tds:DiscoveryMode"`
}
