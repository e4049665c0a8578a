// Package topic handles MQTT topic names and filters: validation, wildcard
// matching, the subscription index a broker routes messages with, and the
// tree its retained messages are found in.
//
// The exported pieces are:
//
//   - [ValidateName] and [ValidateFilter]: the rules a topic name or filter
//     must follow, failing with an *mqtt.Error of code TopicNameInvalid or
//     TopicFilterInvalid that names the broken rule. They apply MQTT 5.0.
//   - [ValidateNameFor] and [ValidateFilterFor]: the same for a given
//     protocol level, with that version's statement ids; for MQTT 3.1 and
//     3.1.1 "$share/..." is an ordinary filter.
//   - [ParseShared]: splits "$share/{group}/{filter}" into group and filter
//     (MQTT 5.0 only).
//   - [Match]: whether one filter matches one name, without allocating.
//   - [Index], [NewIndex], [Subscription]: the subscriptions of a broker, a
//     trie of filter levels that many goroutines match against without
//     locks while subscriptions change. The zero Index is ready to use.
//   - [Result], [Delivery], [SharedMatch]: what [Index.Match] found, in
//     buffers the caller reuses: one Delivery per client (its matching
//     subscriptions merged) and one SharedMatch per shared group.
//   - [Tree] and [NewTree]: values (retained messages) stored by topic
//     name, found by filter with [Tree.AppendMatch] (or [Tree.Match]).
//
// Rule identifiers in the errors of ValidateName, ValidateFilter and
// ParseShared, and in comments, use the MQTT 5.0 numbering
// ("MQTT-4.7.1-1"); the comments give the MQTT 3.1.1 number where it
// differs. ValidateNameFor and ValidateFilterFor report the ids of the
// version asked for: the same id can name different statements in the two
// versions (MQTT-4.7.1-1 is the '#' rule in 5.0 and the rule against
// wildcards in names in 3.1.1).
//
// # For broker authors
//
// Validate what a client sends with the functions of its protocol level:
// ValidateNameFor for the topic of a PUBLISH, ValidateFilterFor for each
// filter of a SUBSCRIBE or UNSUBSCRIBE. Only for an MQTT 5 client is a
// "$share/" filter split with ParseShared and subscribed with its group in
// [Subscription].Group and the inner filter in Filter; from an MQTT 3.x
// client it is subscribed whole, as an ordinary filter.
//
// The Index does not list a client's subscriptions, and has no "remove
// this client" operation: the session keeps its own list of what it
// subscribed (it needs it anyway, to answer UNSUBSCRIBE and to persist the
// session), and when the session ends (clean start, expiry, takeover
// without a session) calls [Index.Unsubscribe] for each entry. A session
// that merely goes offline keeps its subscriptions in the Index.
//
// [Index.Match] reports one [Delivery] per client with the options of its
// matching subscriptions merged, since a client gets one copy of a
// message however many of its subscriptions match (see the field comments
// of Delivery for QoS, RetainAsPublished and the subscription
// identifiers). It does not know which clients are connected: deliveries
// to offline sessions are queued or dropped as the broker's session rules
// say.
//
// [SharedMatch].Members lists every member of the group on that filter,
// including members whose sessions are offline; the Index does not know
// who is connected. The broker picks one member to receive the message and
// skips members that cannot take it (offline, or with a full queue); what
// to do when no member is online (queue it in one member's session, or
// drop it) is the broker's policy. A simple fair choice is round robin
// keyed by the (Group, Filter) pair: keep a counter per pair, start at
// counter % len(Members), advance past offline members, and store the
// position after the one picked. Subscribe appends a new member at the
// end and Unsubscribe closes the gap it leaves, so positions shift when
// the group changes: the counter spreads load, it promises no order.
// Members belongs to the Index and must not be modified; it stays valid
// after the Index changes, but then shows the group as it was. Because a
// change to a group copies its member list, joining or leaving costs time
// in proportion to the group's size: fine for groups of hundreds of
// members, slow for groups of tens of thousands.
//
// Retained messages live in a [Tree]. When a subscription is made, copy
// the matching messages out with [Tree.AppendMatch] and send them after it
// returns: [Tree.Match] calls its function under the tree's read lock, and
// any slow work there (writing to a connection, waiting on a queue) stalls
// every publisher that sets or clears a retained message.
package topic
