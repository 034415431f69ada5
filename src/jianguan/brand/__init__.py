"""The brand owner's view (保名优): where a manufacturer's codes are queried, and what is done about fakes."""
