// Package auth holds hooks for [server.Server] that read their rules from
// files in the formats Mosquitto uses, so an operator can bring a
// Mosquitto installation's files unchanged:
//
//   - [Passwords], an Authenticator over a password file (mosquitto_passwd
//     "$7$" and "$6$" hashes, and bcrypt);
//   - [ACL], an Authorizer over an access control list file ("user",
//     "topic read|write|readwrite|deny", "pattern" with %c and %u);
//
// and [SCRAM], a server.AuthMethod for MQTT 5 enhanced authentication
// with SCRAM-SHA-256 over a credentials file (RFC 5803 lines, written by
// [HashSCRAM] or mqttx passwd --scram), with [SCRAMClient] for clients.
//
// All three can be reloaded while the server runs (on SIGHUP in mqttx serve):
// a file with errors is reported and the rules in force stay.
package auth
