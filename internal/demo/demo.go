// Package demo is the one made-up world that the tests, the benchmarks and
// the playground share: a Slack workspace (ids, a channel, three people,
// the bot's tokens) and an Atlas project (its group, three apps, an API
// key). It is fake data. The tokens and keys open only the in-repo fakes
// (fakeslack, fakeadmin); they say SECRET so that a test can search any
// output for the word, and they are shaped so no one mistakes them for
// real ones.
package demo

// The Slack workspace and the bot's app in it.
const (
	TeamID      = "T1"
	APIAppID    = "A1"
	BotUserID   = "UBOT"
	Channel     = "COPS"
	ChannelName = "ops"
	Command     = "/sync"

	AppToken = "xapp-1-A1-SECRET-APP-TOKEN-5e1f" // Socket Mode (apps.connections.open)
	BotToken = "xoxb-SECRET-BOT-TOKEN-77aa"      // Web API
)

// The people, by Slack user id.
const (
	Alice = "UALICE"
	Bob   = "UBOB"
	Carol = "UCAROL"
)

// Person is a demo Slack user.
type Person struct {
	ID, Name string
	Role     string // what the playground shows beside the name
	Approver bool   // the playground makes them an approver
}

// People are the demo users: alice is on call, bob approves, carol is an
// engineer.
func People() []Person {
	return []Person{
		{ID: Alice, Name: "alice", Role: "on-call"},
		{ID: Bob, Name: "bob", Role: "approver", Approver: true},
		{ID: Carol, Name: "carol", Role: "engineer"},
	}
}

// The Atlas project and the Admin API key that opens it.
const (
	GroupID    = "5b2ec991973129243223a114"
	PublicKey  = "PUBKEY-SECRET-9d2c"
	PrivateKey = "PRIVKEY-SECRET-41b0-8c7e"
)

// The apps' ObjectIDs in the Admin API.
const (
	ProdID    = "64b7f0c2a1b2c3d4e5f60718"
	StagingID = "64b7f0c2a1b2c3d4e5f60719"
	LegacyID  = "64b7f0c2a1b2c3d4e5f6071a"
)

// App is one demo app: as the fake Admin API holds it, and as SYNC_APPS
// names it.
type App struct {
	Alias, ID, ClientAppID string
	Kind                   string // sync service kind: "flexible_sync", or "sync" (partition-based)
	State                  string // "enabled" or "disabled"
	// ByClientAppID configures it in SYNC_APPS by client_app_id, so the
	// bot resolves it at start.
	ByClientAppID bool
}

// Apps are the demo apps: prod running, staging paused, legacy on
// partition-based sync and configured by its client_app_id.
func Apps() []App {
	return []App{
		{Alias: "prod", ID: ProdID, ClientAppID: "prod-abcde", Kind: "flexible_sync", State: "enabled"},
		{Alias: "staging", ID: StagingID, ClientAppID: "staging-fghij", Kind: "flexible_sync", State: "disabled"},
		{Alias: "legacy", ID: LegacyID, ClientAppID: "legacy-klmno", Kind: "sync", State: "enabled", ByClientAppID: true},
	}
}

// Ref is how SYNC_APPS names a: by its ObjectID, or (ByClientAppID) by its
// client_app_id. Exactly one of the two is set.
func (a App) Ref() (appID, clientAppID string) {
	if a.ByClientAppID {
		return "", a.ClientAppID
	}
	return a.ID, ""
}

// The demo triggers' ObjectIDs in the Admin API.
const (
	OrdersTriggerID = "64b7f0c2a1b2c3d4e5f60720"
	AuditTriggerID  = "64b7f0c2a1b2c3d4e5f60721"
)

// Trigger is one demo Atlas Trigger, on the app of alias App.
type Trigger struct {
	App, ID, Name string
	Type          string // DATABASE, SCHEDULED or AUTHENTICATION
	// Suspended is why a database trigger is suspended ("" if it is not).
	Suspended string
}

// Triggers are prod's two database triggers: orders-sync running,
// orders-audit suspended since its change stream was invalidated.
func Triggers() []Trigger {
	return []Trigger{
		{App: "prod", ID: OrdersTriggerID, Name: "orders-sync", Type: "DATABASE"},
		{App: "prod", ID: AuditTriggerID, Name: "orders-audit", Type: "DATABASE",
			Suspended: "(InvalidResumeToken) the change stream was invalidated: collection orders was renamed"},
	}
}

// Cluster is one demo Atlas cluster, as the fake Atlas Administration API
// holds it.
type Cluster struct {
	// Alias names it in SYNC_CLUSTERS; "" for one reached through its
	// apps' aliases only.
	Alias, Name, Tier string
}

// Clusters are the demo clusters: Cluster0, the M10 every demo app runs on
// (its clusterName in the fake Admin API), and analytics, an M30 with no
// App Services app, in SYNC_CLUSTERS.
func Clusters() []Cluster {
	return []Cluster{
		{Name: "Cluster0", Tier: "M10"},
		{Alias: "analytics", Name: "Analytics0", Tier: "M30"},
	}
}
