package onvif

// operations is the routing table: every operation the server recognises,
// keyed by the body element's namespace and local name, with its ONVIF
// access class (ONVIF Core default access policy). Operations not listed
// are refused to anonymous callers and answered ActionNotSupported to
// authenticated ones.
func (s *Server) operations() map[xmlName]operation {
	ops := map[xmlName]operation{}
	add := func(ns, local string, class AccessClass, h func(*call) (any, error)) {
		ops[opName(ns, local)] = operation{class: class, handle: h}
	}
	// Device service.
	add(nsTDS, "GetSystemDateAndTime", PreAuth, getSystemDateAndTime)
	add(nsTDS, "GetCapabilities", PreAuth, getCapabilities)
	add(nsTDS, "GetServices", PreAuth, getServices)
	add(nsTDS, "GetServiceCapabilities", PreAuth, getDeviceServiceCapabilities)
	add(nsTDS, "GetWsdlUrl", PreAuth, getWsdlURL)
	add(nsTDS, "GetHostname", PreAuth, getHostname)
	add(nsTDS, "GetDeviceInformation", ReadSystem, getDeviceInformation)
	add(nsTDS, "GetScopes", ReadSystem, getScopes)
	add(nsTDS, "GetNetworkInterfaces", ReadSystem, getNetworkInterfaces)
	add(nsTDS, "GetDNS", ReadSystem, getDNS)
	add(nsTDS, "GetNetworkProtocols", ReadSystem, getNetworkProtocols)
	add(nsTDS, "GetDiscoveryMode", ReadSystem, getDiscoveryMode)
	add(nsTDS, "GetUsers", ReadSystemSecret, getUsers)
	// The network belongs to the device image: its Set operations are
	// recognised but not supported (doc.go).
	for _, op := range []string{
		"SetHostname", "SetHostnameFromDHCP", "SetDNS", "SetNetworkInterfaces", "SetNetworkProtocols",
		"SetNetworkDefaultGateway", "SetNTP", "SetDynamicDNS", "SetZeroConfiguration", "SetIPAddressFilter",
	} {
		add(nsTDS, op, WriteSystem, notSupported)
	}
	// Device management through Config.Admin (admin*.go); without one,
	// ActionNotSupported. Access classes from the Core command tables.
	add(nsTDS, "SetSystemDateAndTime", WriteSystem, s.ifAdmin(setSystemDateAndTime))
	add(nsTDS, "SetScopes", WriteSystem, s.ifAdmin(setScopes))
	add(nsTDS, "AddScopes", WriteSystem, s.ifAdmin(addScopes))
	add(nsTDS, "RemoveScopes", WriteSystem, s.ifAdmin(removeScopes))
	add(nsTDS, "SetDiscoveryMode", WriteSystem, s.ifAdmin(setDiscoveryMode))
	add(nsTDS, "CreateUsers", WriteSystem, s.ifAdmin(createUsers))
	add(nsTDS, "DeleteUsers", WriteSystem, s.ifAdmin(deleteUsers))
	add(nsTDS, "SetUser", WriteSystem, s.ifAdmin(setUser))
	add(nsTDS, "SystemReboot", Unrecoverable, s.ifAdmin(systemReboot))
	add(nsTDS, "SetSystemFactoryDefault", Unrecoverable, s.ifAdmin(setSystemFactoryDefault))
	// Media service.
	add(nsTRT, "GetServiceCapabilities", PreAuth, getMediaServiceCapabilities)
	add(nsTRT, "GetProfiles", ReadMedia, getProfiles)
	add(nsTRT, "GetProfile", ReadMedia, getProfile)
	add(nsTRT, "GetVideoSources", ReadMedia, getVideoSources)
	add(nsTRT, "GetVideoSourceConfigurations", ReadMedia, getVideoSourceConfigurations)
	add(nsTRT, "GetVideoSourceConfiguration", ReadMedia, getVideoSourceConfiguration)
	add(nsTRT, "GetVideoEncoderConfigurations", ReadMedia, getVideoEncoderConfigurations)
	add(nsTRT, "GetVideoEncoderConfiguration", ReadMedia, getVideoEncoderConfiguration)
	add(nsTRT, "GetVideoEncoderConfigurationOptions", ReadMedia, getVideoEncoderConfigurationOptions)
	add(nsTRT, "GetStreamUri", ReadMedia, getStreamURI)
	// Changing the encoder is ACTUATE (Media, Media2 Set<entity>Configuration).
	add(nsTRT, "SetVideoEncoderConfiguration", Actuate, s.ifAdmin(setVideoEncoderConfiguration))
	// Forcing an IDR is what every viewer's join does anyway (and the encoder
	// stage rate-limits it), so viewers may ask for it.
	add(nsTRT, "SetSynchronizationPoint", ReadMedia, setSynchronizationPoint)
	if s.cfg.Snapshots != nil && s.cfg.Digest != nil {
		add(nsTRT, "GetSnapshotUri", ReadMedia, getSnapshotURI)
	} else {
		add(nsTRT, "GetSnapshotUri", ReadMedia, notSupported)
	}
	// Media2: the same profile for Profile T clients.
	add(nsTR2, "GetServiceCapabilities", PreAuth, getMedia2ServiceCapabilities)
	add(nsTR2, "GetProfiles", ReadMedia, getMedia2Profiles)
	add(nsTR2, "GetVideoSourceConfigurations", ReadMedia, getMedia2VideoSourceConfigurations)
	add(nsTR2, "GetVideoEncoderConfigurations", ReadMedia, getMedia2VideoEncoderConfigurations)
	add(nsTR2, "GetVideoEncoderConfigurationOptions", ReadMedia, getMedia2VideoEncoderConfigurationOptions)
	add(nsTR2, "SetVideoEncoderConfiguration", Actuate, s.ifAdmin(setMedia2VideoEncoderConfiguration))
	add(nsTR2, "GetStreamUri", ReadMedia, getMedia2StreamURI)
	add(nsTR2, "SetSynchronizationPoint", ReadMedia, setMedia2SynchronizationPoint)
	if s.cfg.Snapshots != nil && s.cfg.Digest != nil {
		add(nsTR2, "GetSnapshotUri", ReadMedia, getMedia2SnapshotURI)
	} else {
		add(nsTR2, "GetSnapshotUri", ReadMedia, notSupported)
	}
	// Event service (pull points). Subscription operations find their
	// subscription by the request path.
	add(nsTEV, "GetServiceCapabilities", PreAuth, getEventServiceCapabilities)
	add(nsTEV, "GetEventProperties", ReadMedia, getEventProperties)
	add(nsTEV, "CreatePullPointSubscription", ReadMedia, createPullPointSubscription)
	add(nsTEV, "PullMessages", ReadMedia, pullMessages)
	add(nsTEV, "SetSynchronizationPoint", ReadMedia, setEventSynchronizationPoint)
	add(nsWSNT, "Renew", ReadMedia, renew)
	add(nsWSNT, "Unsubscribe", ReadMedia, unsubscribe)
	// Imaging service, only with a backend. Set and focus moves change
	// the picture: ACTUATE, as the Core default access policy lists them.
	if s.cfg.Imaging != nil {
		add(nsTIMG, "GetServiceCapabilities", PreAuth, getImagingServiceCapabilities)
		add(nsTIMG, "GetImagingSettings", ReadMedia, getImagingSettings)
		add(nsTIMG, "SetImagingSettings", Actuate, setImagingSettings)
		add(nsTIMG, "GetOptions", ReadMedia, getImagingOptions)
		add(nsTIMG, "GetMoveOptions", ReadMedia, getMoveOptions)
		add(nsTIMG, "GetStatus", ReadMedia, getImagingStatus)
		add(nsTIMG, "Move", Actuate, focusNotSupported)
		add(nsTIMG, "Stop", Actuate, focusNotSupported)
	}
	return ops
}
