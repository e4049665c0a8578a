// Package topic handles MQTT topic names and filters: validation, wildcard
// matching, the subscription index a broker routes messages with, and the
// tree its retained messages are found in.
//
// The exported pieces are:
//
//   - [ValidateName] and [ValidateFilter]: the rules a topic name or filter
//     must follow, failing with an *mqtt.Error of code TopicNameInvalid or
//     TopicFilterInvalid that names the broken rule.
//   - [ParseShared]: splits "$share/{group}/{filter}" into group and filter.
//   - [Match]: whether one filter matches one name, without allocating.
//   - [Index], [NewIndex], [Subscription]: the subscriptions of a broker, a
//     trie of filter levels that many goroutines match against without
//     locks while subscriptions change.
//   - [Result], [Delivery], [SharedMatch]: what [Index.Match] found, in
//     buffers the caller reuses: one Delivery per client (its matching
//     subscriptions merged) and one SharedMatch per shared group.
//   - [Tree] and [NewTree]: values (retained messages) stored by topic
//     name, found by filter.
//
// Topic rule identifiers in errors and comments use the MQTT 5.0 numbering
// ("MQTT-4.7.1-1"); the comments give the MQTT 3.1.1 number where it
// differs.
package topic
