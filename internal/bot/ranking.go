package bot

// addRankingRoutes adds Lumira's /apikey and /rank commands.
func (s *Service) addRankingRoutes() {}
