package bot

// addLicensingRoutes adds the Luarmor panel: /luarmor panel and its buttons.
func (s *Service) addLicensingRoutes() {}
