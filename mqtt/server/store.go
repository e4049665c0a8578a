package server

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/mqttx/mqttx/mqtt"
)

// SessionStore keeps the state of persistent sessions. The server holds
// live sessions in memory and routes to them; the store is where a
// session's state goes when its client disconnects, when the server shuts
// down, and where it is found again when the client reconnects to a server
// that does not hold it (after a restart, with a durable store):
//
//   - Load is called when a client connects without Clean Start and the
//     server holds no session for its client identifier.
//   - Save is called when a persistent session's connection ends and, for
//     every persistent session, when the server shuts down.
//   - Delete is called when a session ends: Clean Start, expiry, or a clean
//     session's connection ending.
//
// A store that also implements [SessionRanger] has every saved session
// restored when the server starts, so messages published while their
// clients are away are queued for them.
//
// Methods may be called concurrently, for different client identifiers.
type SessionStore interface {
	Load(clientID string) (state *SessionState, found bool, err error)
	Save(clientID string, state *SessionState) error
	Delete(clientID string) error
}

// SessionRanger is implemented by stores that can list what they hold.
type SessionRanger interface {
	Range(fn func(clientID string, state *SessionState) bool) error
}

// SessionState is the persistent part of a session.
type SessionState struct {
	Version       mqtt.Version
	Subscriptions []StoredSubscription
	// Pending holds the messages not yet acknowledged, in order: those
	// sent and awaiting PUBACK/PUBREC/PUBCOMP first, then those queued.
	Pending []StoredMessage
	// Incoming holds the packet identifiers of QoS 2 messages received and
	// awaiting PUBREL.
	Incoming []uint16
	// Expiry is the session expiry interval; Never is true for sessions
	// that do not expire.
	Expiry time.Duration
	Never  bool
	// Disconnected is when the client's connection ended (zero while the
	// client is connected).
	Disconnected time.Time
	NextID       uint16
}

// StoredSubscription is one subscription of a stored session.
type StoredSubscription struct {
	Filter            string // as the client sent it, "$share/group/filter" included
	QoS               mqtt.QoS
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte
	ID                uint32
}

// StoredMessage is a message waiting for a stored session.
type StoredMessage struct {
	Message  *Message
	QoS      mqtt.QoS
	Retain   bool
	SubIDs   []uint32
	PacketID uint16 // non-zero when sent and not yet acknowledged
	// Released is true for a QoS 2 message whose PUBREC arrived and whose
	// PUBREL was sent: only the PUBREL is resent.
	Released bool
}

// MemoryStore is a SessionStore in memory: sessions survive their client's
// disconnection and a new Server given the same MemoryStore, not the
// process. Its zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]*SessionState
}

// Load returns a copy of the saved state.
func (s *MemoryStore) Load(clientID string) (*SessionState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[clientID]
	if !ok {
		return nil, false, nil
	}
	return st.clone(), true, nil
}

// Save keeps a copy of state.
func (s *MemoryStore) Save(clientID string, state *SessionState) error {
	if state == nil {
		return errors.New("mqtt/server: nil session state")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*SessionState)
	}
	s.m[clientID] = state.clone()
	return nil
}

// Delete forgets the session.
func (s *MemoryStore) Delete(clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, clientID)
	return nil
}

// Range calls fn for every saved session, in client identifier order.
func (s *MemoryStore) Range(fn func(string, *SessionState) bool) error {
	s.mu.Lock()
	ids := slices.Sorted(maps.Keys(s.m))
	states := make([]*SessionState, len(ids))
	for i, id := range ids {
		states[i] = s.m[id].clone()
	}
	s.mu.Unlock()
	for i, id := range ids {
		if !fn(id, states[i]) {
			break
		}
	}
	return nil
}

// Len is the number of saved sessions.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (st *SessionState) clone() *SessionState {
	c := *st
	c.Subscriptions = slices.Clone(st.Subscriptions)
	c.Pending = slices.Clone(st.Pending)
	c.Incoming = slices.Clone(st.Incoming)
	return &c
}
