package adminapi

import "net/url"

// Paths below the base URL (adminapi.md 4-7). Ids are escaped even though
// ObjectIds never need it: a typo in configuration must not change the route.

func groupPath(groupID string) string { return "/groups/" + url.PathEscape(groupID) }

func appPath(app App) string { return groupPath(app.GroupID) + "/apps/" + url.PathEscape(app.AppID) }

func configPath(app App, serviceID string) string {
	return appPath(app) + "/services/" + url.PathEscape(serviceID) + "/config"
}
