// Package storetest is the conformance suite every invite.Store must pass,
// so that the SQLite and PostgreSQL stores behave the same and cannot drift
// apart. It speaks only in invite types: no SQL.
//
// An implementation's test calls Run with a function returning a fresh,
// empty, migrated store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) invite.Store { return mustOpen(t) })
//	}
package storetest

import (
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// Run runs every conformance test. open is called once per test and must
// return a fresh, empty, migrated store, closed when t ends.
func Run(t *testing.T, open func(t *testing.T) invite.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s invite.Store)
	}{
		{"Ping", testPing},
		{"CreateCustomer", testCreateCustomer},
		{"CustomerByName", testCustomerByName},
		{"ListCustomers", testListCustomers},
		{"CreateInvitation", testCreateInvitation},
		{"CreateInvitationUnknownCustomer", testCreateInvitationUnknownCustomer},
		{"CreateInvitationEmailTaken", testCreateInvitationEmailTaken},
		{"InvitationNotFound", testInvitationNotFound},
		{"InvitationsByEmail", testInvitationsByEmail},
		{"UpdateInvitation", testUpdateInvitation},
		{"UpdateInvitationStale", testUpdateInvitationStale},
		{"UpdateInvitationNotFound", testUpdateInvitationNotFound},
		{"UpdateInvitationRenames", testUpdateInvitationRenames},
		{"InsertInvitations", testInsertInvitations},
		{"InsertInvitationsAllOrNothing", testInsertInvitationsAllOrNothing},
		{"LoadInvitations", testLoadInvitations},
		{"LoadInvitationsConflict", testLoadInvitationsConflict},
		{"InsertInvitationsInBulk", testInsertInvitationsInBulk},
		{"ListEmpty", testListEmpty},
		{"ListSwedishOrder", testListSwedishOrder},
		{"ListEveryFilterAndSort", testListEveryFilterAndSort},
		{"ListCustomerFilter", testListCustomerFilter},
		{"ListSearch", testListSearch},
		{"ListSearchTerms", testListSearchTerms},
		{"ListSearchFollowsWrites", testListSearchFollowsWrites},
		{"ListExpiryBoundary", testListExpiryBoundary},
		{"ListExpiryCountsAcrossDays", testListExpiryCountsAcrossDays},
		{"ListDeliveryFilter", testListDeliveryFilter},
		{"Accept", testAccept},
		{"AcceptAfterEdit", testAcceptAfterEdit},
		{"AcceptRenewedLink", testAcceptRenewedLink},
		{"AcceptExpired", testAcceptExpired},
		{"AcceptRevoked", testAcceptRevoked},
		{"AcceptUsed", testAcceptUsed},
		{"AcceptUnknown", testAcceptUnknown},
		{"AcceptAccountExists", testAcceptAccountExists},
		{"ListUsers", testListUsers},
		{"FindUsers", testFindUsers},
		{"DeleteUser", testDeleteUser},
		{"Purge", testPurge},
		{"PurgeLeavesNoTrace", testPurgeLeavesNoTrace},
		{"Sessions", testSessions},
		{"SetUserLanguage", testSetUserLanguage},
		{"ChangePassword", testChangePassword},
		{"Audit", testAudit},
		{"TimesRoundTripInUTC", testTimesRoundTrip},
		{"ConcurrentUpdatesSameVersion", testConcurrentUpdatesSameVersion},
		{"ConcurrentUpdatesNoLostUpdate", testConcurrentUpdatesNoLostUpdate},
		{"ConcurrentEditsWithoutVersion", testConcurrentEditsWithoutVersion},
		{"ConcurrentAccept", testConcurrentAccept},
		{"ConcurrentAcceptAfterEdit", testConcurrentAcceptAfterEdit},
		{"ConcurrentAcceptAndEdits", testConcurrentAcceptAndEdits},
		{"ConcurrentCreateSameEmail", testConcurrentCreateSameEmail},
		{"OutboxQueueAndSend", testOutboxQueueAndSend},
		{"OutboxLease", testOutboxLease},
		{"OutboxRetryAndFail", testOutboxRetryAndFail},
		{"OutboxSupersede", testOutboxSupersede},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"OutboxRecordRacesRenewal", testOutboxRecordRacesRenewal},
		{"InvitationsByID", testInvitationsByID},
		{"BatchesInOppositeOrders", testBatchesInOppositeOrders},
		{"OutboxDeliveryStateModel", testOutboxDeliveryStateModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
	t.Run("UpdateInvitations", func(t *testing.T) { RunUpdateInvitations(t, open) })
	t.Run("AuditPages", func(t *testing.T) { RunAudit(t, open) })
	t.Run("Stream", func(t *testing.T) { RunStream(t, open) })
}

func testPing(t *testing.T, s invite.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
