include $(sort $(wildcard $(BR2_EXTERNAL_CAMAGENT_PATH)/package/*/*.mk))
