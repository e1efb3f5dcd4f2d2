package models

// Event is something costbot pushes to every subscribed chat: an alert, a Lightsail
// warning or stop, a daily report, a closed bill. Jobs raise events; the bot renders each
// in every chat's language and puts it in the outbox.
type Event struct {
	// Kind names the renderer, e.g. "cost.new_resource" or "lightsail.stop".
	Kind string
	// Key identifies this occurrence: an event with the same Key is queued once per chat,
	// however often it is raised (retries, restarts).
	Key string
	// Data is the kind's own value type, which its renderer understands.
	Data any
}
