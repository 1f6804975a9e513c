package main

// mutants are the protections of issue 6's attack list, each taken away
// once, with the tests that must then fail. Attack numbers follow the
// issue: 1 skipping the code step, 2 brute-forcing the code, 3 reusing a
// code, 4 session attacks, 5 cross-site requests, 6 enumeration,
// 7 password guessing, 8 weak passwords, 9 injection and bad input,
// 10 secrets staying secret, 11 headers.
//
// Each edit names the function (or package-level declaration) its code
// is in, and Find, a statement or expression of it, which must occur
// exactly once there at HEAD; whitespace does not count (see Edit), so a
// function may move to another file or package and be re-indented
// without a change here. go run ./.ci/mutants -list checks every edit and
// says what went stale: the function not found, or its text not found
// exactly once. When the code a mutant names is rewritten, update Func
// and Find; when a protection is added, add a mutant. A package path goes
// before a name only where the name is in several packages
// ("sqlite.consumeChallenge").
var mutants = []Mutant{
	// 1. Skipping the code step.
	{
		ID: "stage-check", Attack: 1,
		What:    "pages of one login stage open to a session at another (password only reaches everything)",
		Func:    "(*Server).sessionAt",
		Find:    `if sess.Stage != stage {`,
		Replace: `if false && sess.Stage != stage {`,
		Pkg:     "./internal/web", Run: `^(TestHalfFinishedLoginReachesNothing|TestAdminWithoutFullLogin)$`,
	},
	{
		ID: "phone-form-stage", Attack: 1,
		What:    "Update (My Details) takes any session, also one past the password only",
		Func:    "(*Server).Handler",
		Find:    `full.handle("POST /my-details/phone", s.phoneChangeSend)`,
		Replace: `code.handle("POST /my-details/phone", s.phoneChangeSend)`,
		Pkg:     "./internal/web", Run: `^TestHalfFinishedLoginReachesNothing$`,
	},
	{
		ID: "admin-stage", Attack: 1,
		What:    "the console's rules let a half-finished login act",
		Func:    "(*Service).Authorize",
		Find:    `if a.Session.Stage != store.StageFull || !u.Admin || u.Deactivated {`,
		Replace: `if !u.Admin || u.Deactivated {`,
		Pkg:     "./internal/admin", Run: `^TestOnlyFreshAdministratorsAct$`,
	},
	{
		ID: "admin-role", Attack: 1,
		What:    "the console lets a provider in (no administrator check)",
		Func:    "(*Service).Authorize",
		Find:    `if a.Session.Stage != store.StageFull || !u.Admin || u.Deactivated {`,
		Replace: `if a.Session.Stage != store.StageFull || u.Deactivated {`,
		Pkg:     "./internal/web", Run: `^TestAdminRoutesForbiddenToProviders$`,
	},
	{
		ID: "admin-needs-code", Attack: 1,
		What:    "the console accepts a session that never proved a code",
		Func:    "(*Service).Authorize",
		Find:    `if !s.Login.Fresh(a.Session, login.ProofPasswordAndCode) {`,
		Replace: `if !s.Login.Fresh(a.Session, login.ProofPassword) {`,
		Pkg:     "./internal/admin", Run: `^TestAdministratorsAlwaysUseMFA$`,
	},
	{
		ID: "reauth-freshens-code", Attack: 1,
		What:    "the password typed again (My Details) makes the session's old code fresh: the console opens without a code",
		Func:    "(*Service).nextSession",
		Find:    `next.AuthenticatedAt, next.CodeAt = now, sess.CodeAt`,
		Replace: `next.AuthenticatedAt, next.CodeAt = now, now`,
		Pkg:     "./internal/web", Run: `^TestAdminPasswordAloneIsNotAFreshLogin$`,
	},
	{
		ID: "code-age-unchecked", Attack: 1,
		What:    "administration asks that a code was proven once, not recently",
		Func:    "(*Service).Fresh",
		Find:    `return need == ProofPassword || recent(sess.CodeAt)`,
		Replace: `return need == ProofPassword || !sess.CodeAt.IsZero()`,
		Pkg:     "./internal/admin", Run: `^TestPasswordAloneNeverMakesTheConsoleFresh$`,
	},

	{
		ID: "own-role-removed", Attack: 1,
		What:    "an administrator may remove their own role while another administrator exists",
		Func:    "(*Service).SetRole",
		Find:    `if !admin && a.id() == u.ID {`,
		Replace: `if false && !admin && a.id() == u.ID {`,
		Pkg:     "./internal/admin", Run: `^TestAdministratorsCannotLowerTheirOwnProtection$`,
	},
	{
		ID: "own-account-deactivated", Attack: 1,
		What:    "an administrator may deactivate their own account while another administrator exists",
		Func:    "(*Service).SetActive",
		Find:    `if !active && a.id() == u.ID {`,
		Replace: `if false && !active && a.id() == u.ID {`,
		Pkg:     "./internal/web", Run: `^TestAdminCannotRemoveOrDeactivateThemselves$`,
	},

	// 2. Brute-forcing the code.
	{
		ID: "code-tries-limit", Attack: 2,
		What:    "a code allows 50 wrong tries instead of 5",
		Func:    "RulesFor",
		Find:    `MaxCodeTries: 5,`,
		Replace: `MaxCodeTries: 50,`,
		Pkg:     "./internal/login", Run: `^TestWrongCodesAndTriesLeft$`,
	},
	{
		ID: "code-void", Attack: 2,
		What:    "the store never voids a code at its fifth wrong try",
		Func:    "sqlstore.(*DB).CountWrongCode",
		Find:    `voided_at = CASE WHEN failures + 1 >= $2 THEN CAST($3 AS BIGINT) ELSE NULL END`,
		Replace: `voided_at = CASE WHEN failures + 1 >= $2 + 1000 THEN CAST($3 AS BIGINT) ELSE NULL END`,
		Pkg:     "./internal/login", Run: `^TestWrongCodesAndTriesLeft$`,
	},
	{
		ID: "code-exhausted-resend", Attack: 2,
		What: "a login attempt whose code was voided by wrong tries gets a new code",
		Func: "(*Service).checkSendingRules",
		Find: `if prev.Failures >= s.Rules.MaxCodeTries {
	return nil, errCodeExhausted`,
		Replace: `if false && prev.Failures >= s.Rules.MaxCodeTries {
	return nil, errCodeExhausted`,
		Pkg: "./internal/login", Run: `^TestWrongCodesAndTriesLeft$`,
	},
	{
		ID: "resend-resets-tries", Attack: 2,
		What:    "a resent code starts again at 0 wrong tries",
		Func:    "sqlstore.(*DB).issueChallenge",
		Find:    `failures, TimeValue(c.CreatedAt), TimeValue(c.ExpiresAt), TimeValue(c.ConsumedAt),`,
		Replace: `0, TimeValue(c.CreatedAt), TimeValue(c.ExpiresAt), TimeValue(c.ConsumedAt),`,
		Pkg:     "./internal/login", Run: `^TestResendVoidsOldCodeKeepsFailures$`,
	},
	{
		ID: "code-lock-threshold", Attack: 2,
		What:    "the code step locks after 1,000 wrong codes in a row instead of 10",
		Func:    "RulesFor",
		Find:    `CodeLockAfter: 10,`,
		Replace: `CodeLockAfter: 1000,`,
		Pkg:     "./internal/login", Run: `^TestCodeLockAfterTenInARow$`,
	},
	{
		ID: "code-lock-ignored", Attack: 2,
		What: "a locked code step still sends and checks codes",
		Func: "(*Service).checkSendingRules",
		Find: `if err := s.checkCodeLock(u, now); err != nil {
	return nil, err
}

prev, err :=`,
		Replace: `prev, err :=`,
		Also: []Edit{{
			Func: "(*Service).verifyCode",
			Find: `if err := s.checkCodeLock(u, now); err != nil {
	return nil, err
}
ch, err :=`,
			Replace: `ch, err :=`,
		}},
		Pkg: "./internal/login", Run: `^TestCodeLockAfterTenInARow$`,
	},
	{
		ID: "code-lock-growth", Attack: 2,
		What:    "the code-step lock does not grow with further failures",
		Func:    "(Rules).codeLock",
		Find:    `return backoff(n, r.CodeLockAfter-1, r.CodeLockBase, r.CodeLockMax)`,
		Replace: `return backoff(n, r.CodeLockAfter-1, r.CodeLockBase, r.CodeLockBase)`,
		Pkg:     "./internal/login", Run: `^TestCodeLockAfterTenInARow$`,
	},
	{
		ID: "guesses-atomic", Attack: 2,
		What: "a wrong try counts on a code already voided or used (not one conditional UPDATE)",
		Func: "sqlstore.(*DB).CountWrongCode",
		Find: `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > CAST($3 AS BIGINT)
RETURNING failures, voided_at IS NOT NULL, user_id`,
		Replace: `WHERE id = $1 AND expires_at > CAST($3 AS BIGINT)
RETURNING failures, voided_at IS NOT NULL, user_id`,
		// The 50 guesses at once of the login test
		// (TestConcurrentGuessesStayWithinTheTries) catch this on SQLite
		// only when a guess reads the code before another voids it, which
		// they may not. The conformance test, run by both engine packages,
		// calls the store after the code is used.
		Pkg: "./internal/store/...", Run: `^TestConformance$/^CountWrongCode`,
	},
	// Issue 14, finding 4: budgets of codes that other accounts cannot spend.
	{
		ID: "own-budget-any-account", Attack: 2,
		What:    "codes to an account's own number are counted for the number, whoever asked (others' phone changes use up a person's login codes)",
		Func:    "(*Service).checkDestinationBudget",
		Find:    `n, err = s.Store.CountChallengesForUserTo(ctx, u.ID, dest, since)`,
		Replace: `n, err = s.Store.CountChallengesToDestination(ctx, dest, []store.Purpose{store.PurposeLogin, store.PurposeRegisterPhone, store.PurposeChangePhone, store.PurposeStepUp}, since)`,
		Pkg:     "./internal/login", Run: `^TestOthersCannotSpendAPersonsCodes$`,
	},
	{
		ID: "new-number-budget-counts-logins", Attack: 2,
		What:    "a number's budget for registrations and changes also counts the logins of the accounts whose number it is",
		Func:    "(*Service).checkDestinationBudget",
		Find:    `n, err = s.Store.CountChallengesToDestination(ctx, dest, toNewNumber, since)`,
		Replace: `n, err = s.Store.CountChallengesToDestination(ctx, dest, []store.Purpose{store.PurposeLogin, store.PurposeRegisterPhone, store.PurposeChangePhone, store.PurposeStepUp}, since)`,
		Pkg:     "./internal/login", Run: `^TestOwnCodesDoNotSpendANumbersBudget$`,
	},
	{
		ID: "new-number-budget-per-account", Attack: 2,
		What:    "registrations and changes to one number are counted per account (many accounts can bomb a stranger's phone)",
		Func:    "(*Service).checkDestinationBudget",
		Find:    `if slices.Contains(toNewNumber, purpose) {`,
		Replace: `if false && slices.Contains(toNewNumber, purpose) {`,
		Pkg:     "./internal/login", Run: `^(TestDestinationBudget|TestOthersCannotSpendAPersonsCodes)$`,
	},
	{
		ID: "own-budget-any-account-store", Attack: 2,
		What:    "the store counts every account's codes to a number as one account's own",
		Decl:    "countForUserToQuery",
		Find:    `WHERE user_id = $1 AND destination = $2 AND created_at >= $3`,
		Replace: `WHERE CAST($1 AS BIGINT) > 0 AND destination = $2 AND created_at >= $3`,
		Pkg:     "./internal/login", Run: `^TestOthersCannotSpendAPersonsCodes$`,
	},
	{
		// The purposes' condition is the dialect's AnyOf, text of its own
		// on each engine.
		ID: "new-number-budget-purposes-sqlite", Attack: 2,
		What:    "SQLite counts a number's logins against its budget for registrations and changes",
		Func:    "sqlite.(dialect).AnyOf",
		Find:    "column + ` IN (SELECT value FROM json_each(` + param + `))`",
		Replace: "`(` + param + ` IS NOT NULL)`",
		Pkg:     "./internal/login", Run: `^TestOwnCodesDoNotSpendANumbersBudget$/^sqlite$`,
	},
	{
		ID: "new-number-budget-purposes-postgres", Attack: 2,
		What:    "PostgreSQL counts a number's logins against its budget for registrations and changes",
		Func:    "postgres.(dialect).AnyOf",
		Find:    "column + ` = ANY(` + param + `)`",
		Replace: "`CAST(` + param + ` AS TEXT[]) IS NOT NULL`",
		Pkg:     "./internal/login", Run: `^TestOwnCodesDoNotSpendANumbersBudget$/^postgres$`,
	},
	{
		ID: "guesses-expired", Attack: 2,
		What:    "a wrong try on an expired code counts, against the code and the account",
		Func:    "sqlstore.(*DB).CountWrongCode",
		Find:    `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > CAST($3 AS BIGINT)`,
		Replace: `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^CountWrongCodeNotActive$`,
	},
	{
		// Issue 14, item 6: forty wrong codes at once counted up to 36
		// against the account and locked it for a day, although the code
		// was void after five.
		ID: "guesses-account", Attack: 2,
		What: "a try at a code that no longer works counts against the account (the code's try and the account's count not one step)",
		Func: "sqlstore.(*DB).CountWrongCode",
		Find: `if errors.Is(err, sql.ErrNoRows) {
	// Used, voided, expired or not there: say which.`,
		Replace: `if errors.Is(err, sql.ErrNoRows) {
	_, _ = tx.Exec(ctx, ` + "`" + `UPDATE users SET code_failures = code_failures + 1
		WHERE id = (SELECT user_id FROM challenges WHERE id = $1)` + "`" + `, w.ChallengeID)
	// Used, voided, expired or not there: say which.`,
		Pkg: "./internal/store/...", Run: `^TestConformance$/^CountWrongCode`,
	},

	{
		// Issue 14, item 13: the newest code is carried over to the next
		// login only while it is bound to the account as it is now.
		ID: "carry-over-destination", Attack: 2,
		What:    "a login past the code limit takes over a code sent to a number that is no longer the account's",
		Func:    "(*Service).carryOverCode",
		Find:    `!ch.UndeliveredAt.IsZero() || ch.Destination != dest {`,
		Replace: `!ch.UndeliveredAt.IsZero() || ch.Destination == dest+"x" {`,
		Pkg:     "./internal/login", Run: `^TestCarriedCodeKeepsItsBinding$`,
	},
	{
		ID: "carry-over-other-logins", Attack: 2,
		What:    "a code carried over to a new login stays with the login it was sent for too (its session not deleted)",
		Func:    "sqlstore.(*DB).TakeOverChallenge",
		Find:    `WHERE user_id = $1 AND attempt_id = $2 AND stage = $3 AND token_hash <> $4`,
		Replace: `WHERE user_id = $1 AND attempt_id = $2 AND stage = $3 AND token_hash <> $4 AND 1 = 0`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^TakeOverChallenge`,
	},
	{
		ID: "carry-over-active", Attack: 2,
		What: "a login takes over a code that is used, void or expired",
		Func: "sqlstore.(*DB).TakeOverChallenge",
		Find: `SELECT user_id, attempt_id FROM challenges
WHERE id = $1 AND expires_at > $2 AND consumed_at IS NULL AND voided_at IS NULL`,
		Replace: `SELECT user_id, attempt_id FROM challenges
WHERE id = $1 AND CAST($2 AS BIGINT) > 0`,
		Pkg: "./internal/store/...", Run: `^TestConformance$/^TakeOverChallengeRefused$`,
	},

	// 3. Reusing a code.
	{
		ID: "consume-once", Attack: 3,
		What:    "a used code can be used again (20 right codes at once)",
		Func:    "sqlstore.consumeChallenge",
		Find:    `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2`,
		Replace: `WHERE id = $1 AND voided_at IS NULL AND expires_at > $2`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^ConsumeChallenge`,
	},
	{
		ID: "complete-login-once", Attack: 3,
		What:    "the store completes a login with a code already used",
		Func:    "sqlstore.(*DB).CompleteLogin",
		Find:    `if ok, err := consumeChallenge(ctx, tx, l.ChallengeID, l.At); err != nil || !ok {`,
		Replace: `if _, err := consumeChallenge(ctx, tx, l.ChallengeID, l.At); err != nil {`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^CompleteLogin`,
	},
	{
		ID: "complete-login-old-token", Attack: 4,
		What:    "the store leaves the code step's session working after the login",
		Func:    "sqlstore.(*DB).CompleteLogin",
		Find:    `if err := replaceSession(ctx, tx, l.OldSession, l.Session); err != nil {`,
		Replace: `if err := insertSession(ctx, tx, l.Session); err != nil {`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^CompleteLogin`,
	},
	{
		ID: "start-login-keeps-throttle", Attack: 7,
		What:    "the store leaves the wrong-password count of an account whose right password was given",
		Func:    "sqlstore.(*DB).StartLogin",
		Find:    `if err := clearThrottle(ctx, tx, l.ClearThrottle); err != nil {`,
		Replace: `if err := error(nil); err != nil {`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^StartLogin`,
	},
	{
		// The code is both engines', but only PostgreSQL can show it: on
		// SQLite the writer's one connection is the transaction's, and a
		// statement beside it waits for it for ever.
		ID: "start-login-not-whole-postgres", Attack: 7,
		What:    "PostgreSQL clears the wrong-password count even when the login it belongs to is not written",
		Func:    "sqlstore.(*DB).StartLogin",
		Find:    `if err := clearThrottle(ctx, tx, l.ClearThrottle); err != nil {`,
		Replace: `if err := clearThrottle(ctx, db.w, l.ClearThrottle); err != nil {`,
		Pkg:     "./internal/store/postgres", Run: `^TestConformance$/^StartLogin`,
	},
	{
		ID: "code-binding-purpose", Attack: 3,
		What:    "a code's hash is not bound to its purpose",
		Func:    "Hash",
		Find:    `range []string{b.Purpose, b.Destination, b.AttemptID, code}`,
		Replace: `range []string{b.Destination, b.AttemptID, code}`,
		Pkg:     "./internal/otp", Run: `^TestHashBinding$`,
	},
	{
		ID: "code-binding-attempt", Attack: 3,
		What:    "a code's hash is not bound to its login attempt",
		Func:    "Hash",
		Find:    `range []string{b.Purpose, b.Destination, b.AttemptID, code}`,
		Replace: `range []string{b.Purpose, b.Destination, code}`,
		Pkg:     "./internal/otp", Run: `^TestHashBinding$`,
	},
	{
		ID: "code-expiry-check", Attack: 3,
		What:    "the service does not check a code's age",
		Func:    "(*Service).verifyCode",
		Find:    `case !now.Before(ch.ExpiresAt):`,
		Replace: `case false && !now.Before(ch.ExpiresAt):`,
		Pkg:     "./internal/login", Run: `^(TestCodeExpiry|TestCodeExpiryBoundary)$`,
	},
	{
		ID: "code-ttl", Attack: 3,
		What:    "codes live 60 minutes instead of 10",
		Func:    "RulesFor",
		Find:    `CodeTTL:      10 * time.Minute,`,
		Replace: `CodeTTL:      60 * time.Minute,`,
		Pkg:     "./internal/login", Run: `^(TestCodeExpiry|TestCodeExpiryBoundary)$`,
	},
	{
		ID: "consume-expired", Attack: 3,
		What:    "the store consumes an expired code",
		Func:    "sqlstore.consumeChallenge",
		Find:    `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2`,
		Replace: `WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL AND $2 = $2`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^ConsumeChallenge`,
	},

	// 4. Session attacks.
	{
		ID: "code-step-keeps-token", Attack: 4,
		What: "the code step keeps the session token instead of issuing a new one",
		Func: "(*Service).nextSession",
		Find: `next.AttemptID = sess.AttemptID`,
		Replace: `next.AttemptID = sess.AttemptID
if sess.Token != "" {
	next.Token, next.TokenHash = sess.Token, sess.TokenHash
}`,
		Also: []Edit{{
			Func: "(*Server).session",
			Find: `return sess, err
}`,
			Replace: `if sess != nil {
		sess.Token = c.Value
	}
	return sess, err
}`,
		}},
		Pkg: "./internal/web", Run: `^TestSessionFixationIsUseless$`,
	},
	{
		ID: "old-token-lives", Attack: 4,
		What:    "a step up (code, re-authentication) leaves the old token working",
		Func:    "(*Service).stepUp",
		Find:    `if err := s.Store.ReplaceSession(ctx, sess.TokenHash, next.Session); err != nil {`,
		Replace: `if err := s.Store.(interface{ CreateSession(context.Context, *store.Session) error }).CreateSession(ctx, next.Session); err != nil {`,
		Pkg:     "./internal/login", Run: `^(TestCodeLogin|TestPhoneChangeNeedsRecentPassword)$`,
	},
	{
		ID: "reauth-keeps-token", Attack: 4,
		What:    "re-entering the password before a phone change keeps the old token",
		Func:    "(*Service).Reauthenticate",
		Find:    `next, err := s.stepUp(ctx, sess, store.StageFull, true, false, c)`,
		Replace: `next, err := sess, error(nil)`,
		Pkg:     "./internal/login", Run: `^TestPhoneChangeNeedsRecentPassword$`,
	},
	{
		ID: "idle-timeout", Attack: 4,
		What:    "no idle timeout (30 minutes)",
		Func:    "(*Service).Authenticate",
		Find:    `if now.Sub(ss.LastSeenAt) >= s.Rules.IdleTimeout || now.Sub(ss.CreatedAt) >= s.Rules.AbsoluteTimeout {`,
		Replace: `if now.Sub(ss.CreatedAt) >= s.Rules.AbsoluteTimeout {`,
		Pkg:     "./internal/login", Run: `^TestSessionTimeouts$`,
	},
	{
		ID: "absolute-timeout", Attack: 4,
		What:    "no absolute timeout (12 hours)",
		Func:    "(*Service).Authenticate",
		Find:    `if now.Sub(ss.LastSeenAt) >= s.Rules.IdleTimeout || now.Sub(ss.CreatedAt) >= s.Rules.AbsoluteTimeout {`,
		Replace: `if now.Sub(ss.LastSeenAt) >= s.Rules.IdleTimeout {`,
		Pkg:     "./internal/login", Run: `^TestSessionTimeouts$`,
	},
	{
		ID: "logout-keeps-session", Attack: 4,
		What:    "logout clears the cookie but leaves the session alive on the server",
		Func:    "(*Service).Logout",
		Find:    `UserID: sess.UserID, Session: sess.Session, EndSession: true,`,
		Replace: `UserID: sess.UserID, Session: sess.Session, EndSession: false,`,
		Pkg:     "./internal/login", Run: `^TestLogout$`,
	},
	{
		ID: "reset-keeps-sessions", Attack: 4,
		What:    "a password reset leaves the account's sessions alive",
		Func:    "(*Service).SetPasswordWithLink",
		Find:    `UserID: u.ID, EndOthers: true, ClearThrottle: accountKey(u.Email),`,
		Replace: `UserID: u.ID, EndOthers: false, ClearThrottle: accountKey(u.Email),`,
		Pkg:     "./internal/login", Run: `^TestForgotPassword$`,
	},
	{
		ID: "phone-change-keeps-sessions", Attack: 4,
		What:    "a phone change leaves the account's other sessions alive",
		Func:    "(*Service).VerifyPhoneChange",
		Find:    `Session: &kept, EndOthers: true,`,
		Replace: `Session: &kept, EndOthers: false,`,
		Pkg:     "./internal/web", Run: `^TestEndedSessionIsExplained$`,
	},
	{
		ID: "registration-keeps-sessions", Attack: 4,
		What:    "registering a phone leaves the account's other sessions alive (a held Update Phone Number page among them)",
		Func:    "(*Service).VerifyPhoneRegistration",
		Find:    `Session: sess.Session, EndSession: true, EndOthers: true,`,
		Replace: `Session: sess.Session, EndSession: true, EndOthers: false,`,
		Pkg:     "./internal/login", Run: `^TestHeldRegistrationCannotReplaceThePhone$`,
	},
	{
		ID: "stale-registration-goes-on", Attack: 4,
		What: "a registration session whose account has a phone by now may still send codes and register",
		Func: "(*Service).registrationOpen",
		Find: `if sess.User.Phone == "" {
	return nil
}
return s.endRegistration(ctx, sess)`,
		Replace: `return nil`,
		Pkg:     "./internal/login", Run: `^TestStaleRegistrationEnds$`,
	},
	{
		ID: "registration-replaces-phone", Attack: 4,
		What:    "a registration writes its number whatever phone the account has by then",
		Func:    "(*Service).VerifyPhoneRegistration",
		Find:    `Phone: &number, PhoneWas: &none,`,
		Replace: `Phone: &number, PhoneWas: map[bool]*string{}[len(none) > 0],`,
		Pkg:     "./internal/login", Run: `^TestStaleRegistrationEnds$`,
	},
	{
		ID: "registration-replaces-phone-store", Attack: 4,
		What:    "the store's conditional phone write ignores the phone it expected",
		Func:    "sqlstore.setPhoneIf",
		Find:    `` + "`" + `UPDATE users SET phone = $2 WHERE id = $1 AND phone = $3` + "`" + ``,
		Replace: `` + "`" + `UPDATE users SET phone = $2 WHERE id = $1 OR phone = $3` + "`" + ``,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^ChangeAccount`,
	},
	{
		ID: "password-only-change-silent", Attack: 4,
		What:    "a phone moved by a session that proved no code is not told to the old number",
		Func:    "(*Service).VerifyPhoneChange",
		Find:    `if !sess.MFA && old != "" {`,
		Replace: `if false && !sess.MFA && old != "" {`,
		Pkg:     "./internal/login", Run: `^TestPasswordOnlyPhoneChangeTellsTheOldNumber$`,
	},
	{
		ID: "console-action-keeps-sessions", Attack: 4,
		What:    "a console action that lowers a person's protection leaves their sessions alive",
		Func:    "(*Service).act",
		Find:    `ch.EndOthers = true`,
		Replace: `ch.EndOthers = false`,
		Pkg:     "./internal/admin", Run: `^(TestDeactivateEndsSessionsAndRefusesLogin|TestEndSessions|TestDisableMFATemporarily)$`,
	},
	{
		ID: "cookie-httponly", Attack: 4,
		What: "the session cookie is readable by scripts (no HttpOnly)",
		Func: "(*Server).setSessionCookie",
		Find: `Name: s.cookie.session, Value: token, Path: "/", Domain: s.cookie.domain,
HttpOnly: true,`,
		Replace: `Name: s.cookie.session, Value: token, Path: "/", Domain: s.cookie.domain,
HttpOnly: false,`,
		Pkg: "./internal/web", Run: `^(TestSessionCookieFlags|TestHTTPSCookieIsHostPrefixedAndSecure)$`,
	},
	{
		ID: "cookie-samesite", Attack: 4,
		What: "the session cookie goes without SameSite=Lax",
		Func: "(*Server).setSessionCookie",
		Find: `Name: s.cookie.session, Value: token, Path: "/", Domain: s.cookie.domain,
HttpOnly: true, Secure: s.cookie.secure, SameSite: http.SameSiteLaxMode,`,
		Replace: `Name: s.cookie.session, Value: token, Path: "/", Domain: s.cookie.domain,
HttpOnly: true, Secure: s.cookie.secure,`,
		Pkg: "./internal/web", Run: `^(TestSessionCookieFlags|TestHTTPSCookieIsHostPrefixedAndSecure)$`,
	},
	{
		ID: "cookie-path", Attack: 4,
		What:    "the session cookie is scoped to /login instead of Path=/",
		Func:    "(*Server).setSessionCookie",
		Find:    `Name: s.cookie.session, Value: token, Path: "/",`,
		Replace: `Name: s.cookie.session, Value: token, Path: "/login",`,
		Pkg:     "./internal/web", Run: `^(TestSessionCookieFlags|TestHTTPSCookieIsHostPrefixedAndSecure)$`,
	},
	{
		ID: "cookie-secure", Attack: 4,
		What:    "over HTTPS the session cookie goes without Secure",
		Func:    "cookieNamesFor",
		Find:    `return cookieNames{session: "__Host-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: true}, nil`,
		Replace: `return cookieNames{session: "__Host-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: false}, nil`,
		Pkg:     "./internal/web", Run: `^(TestHTTPSCookieIsHostPrefixedAndSecure|TestHTTPSDeviceCookieIsHostPrefixedAndSecure)$`,
	},
	{
		ID: "cookie-host-prefix", Attack: 4,
		What:    "over HTTPS the session cookie goes without the __Host- prefix",
		Func:    "cookieNamesFor",
		Find:    `return cookieNames{session: "__Host-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: true}, nil`,
		Replace: `return cookieNames{session: "portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: true}, nil`,
		Pkg:     "./internal/web", Run: `^TestHTTPSCookieIsHostPrefixedAndSecure$`,
	},
	{
		ID: "device-cookie-host-prefix", Attack: 4,
		What:    "over HTTPS the device cookie goes without the __Host- prefix",
		Func:    "cookieNamesFor",
		Find:    `return cookieNames{session: "__Host-portal_session", device: "__Host-portal_device", back: "__Host-portal_return", secure: true}, nil`,
		Replace: `return cookieNames{session: "__Host-portal_session", device: "portal_device", back: "__Host-portal_return", secure: true}, nil`,
		Pkg:     "./internal/web", Run: `^TestHTTPSDeviceCookieIsHostPrefixedAndSecure$`,
	},
	{
		ID: "previous-login-unset", Attack: 4,
		What:    "a session keeps no previous login: the home page calls every login the first, and a login that was not the person's goes unnoticed",
		Func:    "(*Service).newSession",
		Find:    `PreviousLoginAt: u.LastLoginAt,`,
		Replace: ``,
		Pkg:     "./internal/web", Run: `^TestHomeShowsTheLoginBeforeThisOne$`,
	},
	{
		ID: "previous-login-step-up", Attack: 4,
		What:    "the password typed again or the console's step up makes the home page's previous login this very login, hiding the one before",
		Func:    "(*Service).nextSession",
		Find:    `next.PreviousLoginAt = sess.PreviousLoginAt`,
		Replace: `next.PreviousLoginAt = sess.User.LastLoginAt`,
		Pkg:     "./internal/web", Run: `^TestHomeShowsTheLoginBeforeThisOne$`,
	},

	// 5. Cross-site requests.
	{
		ID: "cross-origin-posts", Attack: 5,
		What:    "no cross-origin protection on form posts",
		Func:    "(*Server).Handler",
		Find:    `csrf.Handler(`,
		Replace: `(`,
		Pkg:     "./internal/web", Run: `^TestCrossOriginPostRefused$`,
	},
	{
		ID: "get-logs-out", Attack: 5,
		What:    "GET /logout changes state (the route takes any method)",
		Func:    "(*Server).Handler",
		Find:    `mux.HandleFunc("POST /logout", s.logout)`,
		Replace: `mux.HandleFunc("/logout", s.logout)`,
		Pkg:     "./internal/web", Run: `^TestGetNeverChangesState$`,
	},
	{
		ID: "frame-ancestors", Attack: 5,
		What:    "pages may be framed (no frame-ancestors 'none' in the CSP)",
		Decl:    "csp",
		Find:    `"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"`,
		Replace: `"form-action 'self'; base-uri 'none'"`,
		Pkg:     "./internal/web", Run: `^TestSecurityHeaders$`,
	},
	{
		ID: "open-redirect", Attack: 5,
		What: "the confirmation page follows any next=",
		Func: "safeNext",
		Find: `const fallback = "/admin/users"`,
		Replace: `if next != "" {
	return next
}
const fallback = "/admin/users"`,
		Pkg: "./internal/web", Run: `^(TestSafeNext|FuzzSafeNext|TestConfirmNextStaysInTheConsole)$`,
	},
	{
		ID: "redirect-leaves-console", Attack: 5,
		What:    "next= may lead anywhere on the site, not only the console",
		Func:    "safeNext",
		Find:    `if clean != "/admin" && !strings.HasPrefix(clean, "/admin/") || strings.HasPrefix(clean, "/admin/confirm") {`,
		Replace: `if strings.HasPrefix(clean, "/admin/confirm") {`,
		Pkg:     "./internal/web", Run: `^(TestSafeNext|FuzzSafeNext|TestConfirmNextStaysInTheConsole)$`,
	},

	// 6. Enumeration.
	{
		ID: "no-dummy-hash", Attack: 6,
		What: "an unknown email is answered without the dummy argon2id check",
		Func: "(*Service).checkCredentials",
		Find: `case errors.Is(err, store.ErrNotFound):
	if err := slot.DummyVerify(pw); err != nil {
		return nil, fmt.Errorf("login: dummy password check: %w", err)
	}`,
		Replace: `case errors.Is(err, store.ErrNotFound):`,
		Pkg:     "./cmd/portal", Run: `^TestNoEnumeration$`,
	},
	{
		ID: "dummy-hash-free", Attack: 6,
		What: "the dummy check costs nothing",
		Func: "(*Slot).DummyVerify",
		Find: `got := argon2.IDKey([]byte(Normalize(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
subtle.ConstantTimeCompare(got, make([]byte, p.KeyLen))`,
		Replace: `got := append(salt, password...)
subtle.ConstantTimeCompare(got, make([]byte, p.KeyLen))`,
		Pkg: "./internal/password", Run: `^TestDummyVerifyDoesTheWork$`,
	},
	{
		ID: "invited-no-dummy-hash", Attack: 6,
		What: "an account without a password yet (invited) is answered without a hash check",
		Func: "(*Service).checkPassword",
		Find: `if u.PasswordHash == "" {
	if err := slot.DummyVerify(pw); err != nil {
		return false, fmt.Errorf("login: dummy password check: %w", err)
	}`,
		Replace: `if u.PasswordHash == "" {`,
		Pkg:     "./internal/login", Run: `^TestNoEnumerationOfInvitedAccounts$`,
	},
	{
		ID: "unknown-email-message", Attack: 6,
		What: "an unknown email gets its own message",
		Func: "(*Service).checkCredentials",
		Find: `s.passwordFailed(ctx, nil, c, "unknown email", try)
return nil, errInvalidCredentials`,
		Replace: `s.passwordFailed(ctx, nil, c, "unknown email", try)
return nil, &Error{Kind: KindInvalidCredentials, Message: "No account uses this email address."}`,
		Pkg: "./internal/login", Run: `^TestNoEnumeration$`,
	},
	{
		ID: "unknown-email-never-locked", Attack: 6,
		What: "only existing accounts are counted and locked, so a lock reveals an account",
		Func: "(*Service).Login",
		Find: `try, err := s.countPasswordTry(ctx, email, c, now)
var throttledErr *Error`,
		Replace: `var try passwordTry
if _, lerr := s.Store.UserByEmail(ctx, email); lerr == nil {
	try, err = s.countPasswordTry(ctx, email, c, now)
}
var throttledErr *Error`,
		Pkg: "./internal/login", Run: `^TestNoEnumeration$`,
	},
	{
		ID: "forgot-password-tells", Attack: 6,
		What: "“Forgot your password?” answers differently for an address without an account",
		Func: "(*Server).forgotPasswordSend",
		Find: `w.Header().Set("Location", "/forgot-password?m=sent")`,
		Replace: `if _, err := s.login.Store.UserByEmail(r.Context(), f.Email); err != nil {
	w.Header().Set("Location", "/forgot-password?m=unknown")
} else {
	w.Header().Set("Location", "/forgot-password?m=sent")
}`,
		Pkg: "./cmd/portal", Run: `^TestNoEnumeration$`,
	},

	// 7. Password guessing.
	{
		ID: "account-lock-threshold", Attack: 7,
		What:    "an account locks after 1,000 wrong passwords instead of 10",
		Func:    "RulesFor",
		Find:    `PasswordLockAccount:  10,`,
		Replace: `PasswordLockAccount:  1000,`,
		Pkg:     "./internal/login", Run: `^TestPasswordThrottle$`,
	},
	{
		ID: "password-backoff-flat", Attack: 7,
		What:    "the wait after wrong passwords does not grow",
		Func:    "delivery.Backoff",
		Find:    `d *= 2`,
		Replace: `d *= 1`,
		Pkg:     "./internal/login", Run: `^(TestBackoff|TestPasswordThrottle)$`,
	},
	{
		// The upsert's WHERE refuses the try on a locked key, on the
		// newest version of the row (SQLite once read the row and checked
		// it in Go).
		ID: "account-lock-unchecked", Attack: 7,
		What:    "a password try on a locked account is counted instead of refused",
		Func:    "sqlstore.(*DB).addThrottleFailure",
		Find:    `WHERE throttles.locked_until IS NULL OR throttles.locked_until <= $2`,
		Replace: `WHERE throttles.locked_until IS NULL OR throttles.locked_until IS NOT NULL`,
		Pkg:     "./internal/login", Run: `^(TestPasswordThrottle|TestConcurrentWrongPasswords)$`,
	},
	{
		ID: "throttle-lock-not-written-postgres", Attack: 7,
		What:    "PostgreSQL never stores the lock a failure earns",
		Func:    "(*DB).addThrottleFailure",
		Find:    `if until.Equal(t.LockedUntil) {`,
		Replace: `if true || until.Equal(t.LockedUntil) {`,
		Pkg:     "./internal/store/postgres", Run: `^TestConformance$/Throttle`,
	},
	{
		ID: "ip-throttle", Attack: 7,
		What: "no per-IP throttle at the password step",
		Func: "(*Service).countPasswordTry",
		Find: `if err := s.checkThrottle(ctx, ipKey(c.IP), now); err != nil {
	return passwordTry{lockedBy: "client IP"}, err`,
		Replace: `if err := error(nil); err != nil {
	return passwordTry{lockedBy: "client IP"}, err`,
		Pkg: "./internal/login", Run: `^TestPasswordThrottlePerIP$`,
	},
	{
		ID: "device-held-by-address", Attack: 7,
		What: "a browser with its account's device token is held by the lock others set on its address",
		Func: "(*Service).countPasswordTry",
		Find: `device, err := s.knownDevice(ctx, c, email, now)`,
		Replace: `if err := s.checkThrottle(ctx, ipKey(c.IP), now); err != nil {
	return passwordTry{lockedBy: "client IP"}, err
}
device, err := s.knownDevice(ctx, c, email, now)`,
		Pkg: "./internal/login", Run: `^TestDeviceTokenAgainstAddressLock$`,
	},
	{
		ID: "email-not-normalised", Attack: 7,
		What: "the password step counts tries per email as typed, so each spelling (case, spaces) gets its own tries",
		Func: "(*Service).Login",
		Find: `email = NormalizeEmail(email)
// A slot for the password hash first`,
		Replace: `// A slot for the password hash first`,
		Pkg:     "./internal/login", Run: `^TestPasswordThrottleCountsEverySpelling$`,
	},
	{
		ID: "xff-from-anyone", Attack: 7,
		What: "X-Forwarded-For is believed from any client, not only trusted proxies",
		Func: "(*Server).clientIP",
		Find: `if !s.trusted(addr) {
	return addr.Unmap().String()
}`,
		Replace: "",
		Pkg:     "./internal/web", Run: `^(TestClientIP|FuzzClientIP)$`,
	},
	{
		ID: "xff-leftmost", Attack: 7,
		What:    "the client address is the first X-Forwarded-For hop, which the client chooses",
		Func:    "(*Server).clientIP",
		Find:    `for i := len(hops) - 1; i >= 0; i-- {`,
		Replace: `for i := 0; i < len(hops); i++ {`,
		Pkg:     "./internal/web", Run: `^(TestClientIP|FuzzClientIP)$`,
	},

	// Device tokens (issue 14, item 5): a browser's own way past the
	// account's lock that others set.
	{
		ID: "device-mac-unchecked", Attack: 7,
		What:    "a device token is believed without its MAC, so anyone can write one that passes the account's lock",
		Func:    "parseDeviceToken",
		Find:    `if err != nil || !hmac.Equal(mac, deviceMAC(key, devicePayload(userID, expires, parts[3]))) {`,
		Replace: `if err != nil || !hmac.Equal(mac, mac) {`,
		Pkg:     "./internal/login", Run: `^(TestDeviceTokenAgainstLockout|TestDeviceTokenRoundTrip)$`,
	},
	{
		ID: "device-any-account", Attack: 7,
		What:    "a device token of one account passes the lock of another",
		Func:    "(*Service).knownDevice",
		Find:    `if u.ID != t.UserID {`,
		Replace: `if false && u.ID != t.UserID {`,
		Pkg:     "./internal/login", Run: `^TestDeviceTokenAgainstLockout$`,
	},
	{
		ID: "device-never-expires", Attack: 7,
		What:    "a device token is valid for ever",
		Func:    "parseDeviceToken",
		Find:    `if !now.Before(t.Expires) {`,
		Replace: `if false && !now.Before(t.Expires) {`,
		Pkg:     "./internal/login", Run: `^(TestDeviceTokenExpires|TestDeviceTokenRoundTrip)$`,
	},
	{
		ID: "device-budget-unlimited", Attack: 7,
		What:    "a device token's wrong passwords never spend its budget, so a stolen token guesses without end",
		Func:    "(Rules).deviceLock",
		Find:    `if n >= r.DeviceTokenTries {`,
		Replace: `if false && n >= r.DeviceTokenTries {`,
		Pkg:     "./internal/login", Run: `^(TestDeviceTokenBudget|TestConcurrentDeviceTries)$`,
	},
	{
		ID: "device-void-ignored", Attack: 7,
		What: "a device token whose budget is spent still passes the account's lock",
		Func: "(*Service).countPasswordTry",
		Find: `if ok {
	return passwordTry{key: deviceKey(device), device: true, t: t}, nil
}`,
		Replace: `if ok || true {
	return passwordTry{key: deviceKey(device), device: true, t: t}, nil
}`,
		Pkg: "./internal/login", Run: `^TestDeviceTokenBudget$`,
	},
	{
		ID: "device-lifts-account-lock", Attack: 7,
		What:    "a known device's right password lifts the lock that others set on the account, giving them new tries",
		Func:    "(*Service).startLogin",
		Find:    `ClearThrottle: try.key,`,
		Replace: `ClearThrottle: accountKey(u.Email),`,
		Pkg:     "./internal/login", Run: `^TestDeviceTokenAgainstLockout$`,
	},

	// 8. Weak passwords.
	{
		ID: "min-length", Attack: 8,
		What:    "passwords of 8 characters accepted (12 required)",
		Decl:    "MinLength",
		Find:    `MinLength = 12`,
		Replace: `MinLength = 8`,
		Pkg:     "./internal/password", Run: `^TestCheck$`,
	},
	{
		ID: "max-length", Attack: 8,
		What:    "passwords of any length accepted (1,024 bytes at most)",
		Func:    "Check",
		Find:    `if len(password) > MaxBytes {`,
		Replace: `if len(password) > 100*MaxBytes {`,
		Pkg:     "./internal/password", Run: `^TestCheck$`,
	},
	{
		ID: "truncation", Attack: 8,
		What:    "passwords hashed and checked on their first 72 bytes only",
		Func:    "(*Slot).Hash",
		Find:    `key := argon2.IDKey([]byte(Normalize(password)), salt,`,
		Replace: `key := argon2.IDKey([]byte(prefix(Normalize(password), 72)), salt,`,
		Also: []Edit{{
			Func:    "(*Slot).Verify",
			Find:    `got := argon2.IDKey([]byte(Normalize(password)), salt, stored.Time,`,
			Replace: `got := argon2.IDKey([]byte(prefix(Normalize(password), 72)), salt, stored.Time,`,
		}},
		Pkg: "./internal/password", Run: `^TestNormalizedHashing$`,
	},
	{
		ID: "nfkc", Attack: 8,
		What:    "passwords normalised with NFC instead of NFKC",
		Func:    "password.Normalize",
		Find:    `return norm.NFKC.String(password)`,
		Replace: `return norm.NFC.String(password)`,
		Pkg:     "./internal/password", Run: `^(TestCheck|TestNormalizedHashing)$`,
	},
	{
		ID: "breached-list", Attack: 8,
		What:    "the shipped list of breached passwords is not consulted",
		Func:    "Check",
		Find:    `if isBreached(password) || isCommon(password) {`,
		Replace: `if isCommon(password) {`,
		Pkg:     "./internal/password", Run: `^(TestCheck|TestCheckRefusesBreachedPasswords)$`,
	},
	{
		ID: "reset-skips-policy", Attack: 8,
		What:    "a password set by an emailed link skips the password policy",
		Func:    "(*Service).SetPasswordWithLink",
		Find:    `if err := password.Check(pw, u.Email, u.Name); err != nil {`,
		Replace: `if err := password.Check(pw, u.Email, u.Name); false && err != nil {`,
		Pkg:     "./internal/login", Run: `^TestForgotPassword$`,
	},
	{
		ID: "no-rehash", Attack: 8,
		What:    "a hash made with weaker parameters is kept at login",
		Func:    "(*Service).checkPassword",
		Find:    `if ok && rehash {`,
		Replace: `if ok && rehash && false {`,
		Pkg:     "./internal/login", Run: `^TestWeakerHashIsReplacedAtLogin$`,
	},
	{
		ID: "hash-slots-unbounded", Attack: 7,
		What:    "argon2id runs without a bound: a flood of password posts on any route takes 19 MiB each",
		Func:    "(*Hasher).Acquire",
		Find:    `h.slots = make(chan struct{}, n)`,
		Replace: `h.slots = make(chan struct{}, n+1000)`,
		Pkg:     "./internal/web", Run: `^TestEveryHashingRouteAnswersBusy$`,
	},
	{
		ID: "setup-hash-before-link", Attack: 7,
		What: "the set-up form hashes the password before it checks its link (a bogus link costs a hash)",
		Func: "(*Service).CreateFirstAdmin",
		Find: `if ok, err := s.Store.SetupTokenMatches(ctx, HashToken(token)); err != nil {
	return nil, fmt.Errorf("login: check set-up link: %w", err)
} else if !ok {
	return nil, errSetupTokenInvalid
}`,
		Replace: "",
		Pkg:     "./internal/web", Run: `^TestSetupCostsNoHashWithoutTheLink$`,
	},
	{
		ID: "setup-open-after-account", Attack: 7,
		What: "/setup stays a page once an account exists",
		Func: "(*Service).CreateFirstAdmin",
		Find: `if !needed {
	return nil, ErrSetupClosed
}`,
		Replace: `_ = needed`,
		Pkg:     "./internal/web", Run: `^TestSetupCostsNoHashWithoutTheLink$`,
	},
	{
		ID: "weak-argon2-params", Attack: 8,
		What:    "argon2id below the OWASP minimum (4 MiB, one pass)",
		Decl:    "DefaultParams",
		Find:    `Params{Memory: 19456, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}`,
		Replace: `Params{Memory: 4096, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}`,
		Pkg:     "./internal/password", Run: `^TestDefaultParamsMeetMinimum$`,
	},

	// 9. Injection and bad input.
	{
		ID: "body-limit", Attack: 9,
		What:    "request bodies up to 16 MiB read (16 KiB allowed)",
		Func:    "limitBodies",
		Find:    `r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)`,
		Replace: `r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes<<10)`,
		Pkg:     "./internal/web", Run: `^TestBodyLimit$`,
	},
	{
		ID: "html-escaping", Attack: 9,
		What:    "pages rendered with text/template, which escapes nothing",
		Imports: "web",
		Find:    `"html/template"`,
		Replace: `"text/template"`,
		// The Overview's charts are trusted SVG, a type text/template
		// lacks: they become plain strings (and the two files keep a use
		// of the package they import).
		Also: []Edit{
			{Decl: "web.overviewChart", Find: `SVG             template.HTML`, Replace: `SVG string; _ template.FuncMap`},
			{Func: "web.(timeChart).SVG", Find: `SVG() template.HTML {`, Replace: `SVG() string {`},
			{Func: "web.(barChart).SVG", Find: `SVG() template.HTML {`, Replace: `SVG() string {`},
			{Func: "web.(*svgBuilder).close", Find: `close() template.HTML {`, Replace: `close() string {`},
			{Func: "web.(*svgBuilder).close", Find: `return template.HTML(b.buf.String())`, Replace: `_ = template.HTMLEscapeString; return b.buf.String()`},
		},
		Pkg: "./internal/web", Run: `^TestBadQueryParameters$`,
	},
	{
		ID: "sql-concatenated", Attack: 9,
		What:    "the email is pasted into the SQL of the login look-up instead of passed as a parameter",
		Func:    "sqlstore.(*DB).UserByEmail",
		Find:    "u, err := scanUser(db.r.QueryRow(ctx, db.q.userByEmail, email))",
		Replace: "u, err := scanUser(db.r.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = `+db.d.Fold(`'`+email+`'`)))",
		Pkg:     "./internal/web", Run: `^TestBadInputAtEveryForm$/^(sqlite|postgres)$/^_login$`,
	},
	{
		ID: "unreadable-input", Attack: 9,
		What:    "forms and query strings with invalid UTF-8 or control characters reach the pages (and PostgreSQL)",
		Func:    "(*Server).Handler",
		Find:    `s.readableInput(mux)`,
		Replace: `mux`,
		Pkg:     "./internal/web", Run: `^TestBadInputAtEveryForm$/^postgres$/^_login$`,
	},
	{
		ID: "control-characters", Attack: 9,
		What:    "control characters such as NUL count as readable input",
		Func:    "readable",
		Find:    `if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {`,
		Replace: `if false && unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {`,
		Pkg:     "./internal/web", Run: `^(TestReadable|FuzzReadableInput)$`,
	},
	{
		ID: "invalid-utf8-password", Attack: 9,
		What:    "a password that is not valid UTF-8 is accepted",
		Func:    "Check",
		Find:    `if !utf8.ValidString(password) {`,
		Replace: `if false && !utf8.ValidString(password) {`,
		Pkg:     "./internal/password", Run: `^TestCheck$`,
	},

	{
		ID: "receipt-leaves-final", Attack: 9,
		What:    "a late or replayed delivery receipt moves an expired message to delivered or failed",
		Func:    "ReceiptMovesFrom",
		Find:    `return []MessageStatus{MessageQueued, MessageSending, MessageSent}`,
		Replace: `return []MessageStatus{MessageQueued, MessageSending, MessageSent, MessageExpired}`,
		Pkg:     "./internal/store/sqlite", Run: `^TestMessagesConformance$`,
	},
	{
		ID: "receipt-replay-applied", Attack: 9,
		What:    "a replayed delivery receipt is reported (audited, code marked undelivered) again",
		Func:    "(*Dispatcher).Receipt",
		Find:    `if moved && d.OnFinal != nil {`,
		Replace: `if _ = moved; m.Status == status && d.OnFinal != nil {`,
		Pkg:     "./internal/dispatch", Run: `^TestReceiptsOnlyMoveForward$`,
	},
	// Issue 14, finding 9: SMS pumping defaults, one reading of a number.
	{
		ID: "non-geographic-allowed", Attack: 9,
		What:    "satellite and other numbers of no country are accepted as mobiles by default",
		Func:    "(Rules).AllowedDestination",
		Find:    `if phone.NonGeographic(e164) {`,
		Replace: `if false && phone.NonGeographic(e164) {`,
		Pkg:     "./internal/login", Run: `^(TestAcceptPhone|TestNonGeographicNumbersRefused)$`,
	},
	{
		ID: "non-geographic-region", Attack: 9,
		What:    "the phone package does not recognise numbers of no country",
		Func:    "NonGeographic",
		Find:    `== phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY`,
		Replace: `== "ZZ"`,
		Pkg:     "./internal/phone", Run: `^(TestNonGeographic|FuzzNormalize)$`,
	},
	{
		ID: "accept-phone-skips-destinations", Attack: 9,
		What: "a typed number is normalised but not checked against the allowed destinations",
		Func: "(Rules).AcceptPhone",
		Find: `if err := r.AllowedDestination(number); err != nil {
	return "", err
}`,
		Replace: `if err := r.AllowedDestination(number); false && err != nil {
	return "", err
}`,
		Pkg: "./internal/login", Run: `^(TestAcceptPhone|TestNonGeographicNumbersRefused)$`,
	},
	{
		ID: "console-phone-own-rules", Attack: 9,
		What:    "the console's and the command line's Update phone number only normalise the number (the allowed destinations skipped)",
		Func:    "(*Service).SetPhone",
		Find:    `number, err := s.Login.Rules.AcceptPhone(raw)`,
		Replace: `number, err := phone.Normalize(raw)`,
		Pkg:     "./internal/admin", Run: `^TestSetPhoneAppliesTheDestinationRules$`,
	},
	{
		ID: "console-form-own-rules", Attack: 9,
		What:    "the console's phone form confirms a number the destination rules refuse",
		Func:    "(actionForm).Validate",
		Find:    `number, err := rules.AcceptPhone(f.Phone)`,
		Replace: `number, err := login.DefaultRules().AcceptPhone(f.Phone)`,
		Pkg:     "./internal/web", Run: `^TestAdminUpdatePhoneAppliesTheDestinationRules$`,
	},
	{
		ID: "non-geographic-setting-ignored", Attack: 9,
		What:    "PORTAL_SMS_NON_GEOGRAPHIC does not reach the rules",
		Func:    "RulesFor",
		Find:    `SMSNonGeographic:       c.SMSNonGeographic,`,
		Replace: "",
		Pkg:     "./cmd/portal", Run: `^TestUserSetPhoneAppliesTheDestinationRules$`,
	},
	{
		ID: "pending-phone-check", Attack: 9,
		What:    "the code screens of a new number reached with no number waiting (a 500 or a code for nothing)",
		Func:    "requirePendingPhone",
		Find:    `if sessionOf(r).PendingPhone == "" {`,
		Replace: `if false && sessionOf(r).PendingPhone == "" {`,
		Pkg:     "./internal/web", Run: `^TestCodeRoutesWithoutAWaitingNumber$`,
	},

	// 10. Secrets stay secret.
	{
		ID: "code-in-log", Attack: 10,
		What: "the code is written to the service log",
		Func: "(*Service).queueCode",
		Find: `content := s.codeSMS(code)`,
		Replace: `content := s.codeSMS(code)
s.log().Info("code issued", "code", code)`,
		Pkg: "./internal/login", Run: `^TestSecretsStayOutOfLogsAndAudit$`,
	},
	{
		ID: "phone-in-audit", Attack: 10,
		What:    "the audit log names the full phone number a code went to",
		Func:    "(*Service).queueCode",
		Find:    `masked := maskDestination(ch, dest)`,
		Replace: `masked := dest`,
		Pkg:     "./internal/login", Run: `^TestSecretsStayOutOfLogsAndAudit$`,
	},
	{
		ID: "cookie-in-log", Attack: 10,
		What:    "the request log line carries the Cookie header (the session token)",
		Func:    "(*Server).observe",
		Find:    `"status", rec.status, "duration", time.Since(start).Round(time.Microsecond))`,
		Replace: `"status", rec.status, "duration", time.Since(start).Round(time.Microsecond), "cookie", r.Header.Get("Cookie"))`,
		Pkg:     "./internal/web", Run: `^TestSessionTokensNeverInLogsOrLinks$`,
	},
	{
		ID: "token-in-url", Attack: 10,
		What:    "the redirect after the password carries the session token in the URL",
		Func:    "(*Server).loginCheck",
		Find:    `target := stagePath(sess.Stage)`,
		Replace: `target := stagePath(sess.Stage) + "?session=" + sess.Token`,
		Pkg:     "./internal/web", Run: `^TestSessionTokensNeverInLogsOrLinks$`,
	},
	{
		ID: "password-form-get", Attack: 10,
		What:    "the login form is sent by GET, putting the password in the URL",
		File:    "internal/web/templates/login.html",
		Find:    `<form method="post" action="/login" novalidate>`,
		Replace: `<form method="get" action="/login" novalidate>`,
		Pkg:     "./internal/web", Run: `^TestSecretFieldsArePosted$`,
	},
	{
		ID: "referrer-policy", Attack: 10,
		What:    "no Referrer-Policy: no-referrer",
		Func:    "securityHeaderValues",
		Find:    `h.Set("Referrer-Policy", "no-referrer")`,
		Replace: "",
		Pkg:     "./internal/web", Run: `^TestSecretsNeverInLinksAndNoReferrer$`,
	},
	{
		ID: "outbox-proxy-headers", Attack: 10,
		What:    "/dev/outbox (live reset links and codes) served to a request carrying X-Real-IP or Via",
		Func:    "web.isLoopback",
		Find:    `if name == "Via" || strings.Contains(name, "Forwarded") || strings.HasSuffix(name, "-Ip") {`,
		Replace: `if strings.Contains(name, "Forwarded") {`,
		Pkg:     "./internal/web", Run: `^TestDevOutboxOnlyOnLoopback$`,
	},
	{
		ID: "outbox-any-host", Attack: 10,
		What:    "/dev/outbox served whatever the Host (a same-host proxy that adds no header)",
		Func:    "web.isLoopback",
		Find:    `return loopbackName(r.Host)`,
		Replace: `return true`,
		Pkg:     "./internal/web", Run: `^TestDevOutboxOnlyOnLoopback$`,
	},
	{
		ID: "serve-email-outbox", Attack: 10,
		What: "portal serve starts with a real SMS gateway while email goes to the outbox",
		Func: "(*App).Open",
		Find: `if err := a.Config.ServeProblem(); err != nil {
	return err
}`,
		Replace: "",
		Pkg:     "./cmd/portal", Run: `^TestServeRefusesEmailOutboxWithRealSMS$`,
	},
	{
		ID: "error-text-shown", Attack: 10,
		What:    "the error page shows the internal error",
		Func:    "(*Server).internalError",
		Find:    `tell your system administrator the reference %s.", id),`,
		Replace: `tell your system administrator the reference %s. (%v)", id, err),`,
		Pkg:     "./internal/web", Run: `^TestHealth$`,
	},

	// 11. Headers.
	{
		ID: "csp-unsafe-inline", Attack: 11,
		What:    "the CSP allows inline scripts",
		Decl:    "csp",
		Find:    `script-src 'self';`,
		Replace: `script-src 'self' 'unsafe-inline';`,
		Pkg:     "./internal/web", Run: `^TestSecurityHeaders$`,
	},
	{
		ID: "nosniff", Attack: 11,
		What:    "no X-Content-Type-Options: nosniff",
		Func:    "securityHeaderValues",
		Find:    `h.Set("X-Content-Type-Options", "nosniff")`,
		Replace: "",
		Pkg:     "./internal/web", Run: `^TestSecurityHeaders$`,
	},
	{
		ID: "no-store", Attack: 11,
		What:    "answers may be cached, redirects included (no Cache-Control: no-store)",
		Func:    "securityHeaderValues",
		Find:    `h.Set("Cache-Control", "no-store")`,
		Replace: "",
		Pkg:     "./internal/web", Run: `^(TestSecurityHeaders|TestEveryDynamicAnswerIsNoStore)$`,
	},
	{
		ID: "hsts", Attack: 11,
		What: "no Strict-Transport-Security over HTTPS",
		Func: "securityHeaderValues",
		Find: `if https {
	h.Set("Strict-Transport-Security"`,
		Replace: `if false && https {
	h.Set("Strict-Transport-Security"`,
		Pkg: "./internal/web", Run: `^TestHTTPSCookieIsHostPrefixedAndSecure$`,
	},

	// Issue 16: forward-auth (/auth/verify) and the way back after login.
	{
		ID: "fwd-stage", Attack: 1,
		What:    "/auth/verify grants a half-finished login (password only)",
		Func:    "(*Server).verifiedSession",
		Find:    `if err != nil || sess.Stage != store.StageFull {`,
		Replace: `if err != nil {`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthVerify$`,
	},
	{
		ID: "fwd-admins-only", Attack: 1,
		What:    "/auth/verify grants a provider an application for administrators only",
		Func:    "(*Server).mayOpen",
		Find:    `return !adminsOnly, nil`,
		Replace: `return adminsOnly || !adminsOnly, nil`,
		Pkg:     "./internal/web", Run: `^(TestForwardAuthAdminsOnly|TestForwardAuthAdminsOnlyUnknownHost)$`,
	},
	{
		ID: "fwd-registry-kept", Attack: 1,
		What:    "the registry's list behind /auth/verify is kept for ever: an application made admins-only (or disabled) is never seen",
		Func:    "(*ForwardAuthHosts).applications",
		Find:    `if !f.read.IsZero() && now.Sub(f.read) < f.MaxAge && !now.Before(f.read) {`,
		Replace: `if !f.read.IsZero() {`,
		Pkg:     "./internal/apps", Run: `^TestForwardAuthHostsMaxAge$`,
	},
	{
		ID: "fwd-trusted-proxy", Attack: 9,
		What:    "X-Forwarded-Proto/Host/Uri believed from any peer",
		Func:    "(*Server).forwardedURL",
		Find:    `if peer, ok := peerAddr(r); !ok || !s.trusted(peer) {`,
		Replace: `if peer, ok := peerAddr(r); !ok || false && !s.trusted(peer) {`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthUntrustedProxy$`,
	},
	{
		ID: "fwd-registry", Attack: 9,
		What: "after login, back to any host under the cookie domain, registered or not",
		Func: "(*Server).returnTarget",
		Find: `if !ok {
	return "", nil
}`,
		Replace: `_ = ok`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthNoOpenRedirect$`,
	},
	{
		ID: "fwd-cookie-reach", Attack: 9,
		What:    "after login, back to a registered host that the session cookie never reaches (a loop of logins)",
		Func:    "(*Server).returnTarget",
		Find:    `if !s.cookie.reaches(host) || s.forwardAuth == nil {`,
		Replace: `if s.forwardAuth == nil {`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthNoOpenRedirect$`,
	},
	{
		ID: "fwd-downgrade", Attack: 9,
		What:    "after login, back over plain http although the portal is https",
		Func:    "(*Server).returnTarget",
		Find:    `if u.Scheme != "https" && (u.Scheme != "http" || s.baseURL.Scheme != "http") {`,
		Replace: `if u.Scheme != "https" && u.Scheme != "http" {`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthNoOpenRedirect$`,
	},
	{
		ID: "fwd-own-port", Attack: 9,
		What: "after login, back to the portal's host name on any port or scheme (another server there)",
		Func: "(*Server).returnTarget",
		Find: `own := u.Scheme == s.baseURL.Scheme && host == strings.ToLower(s.baseURL.Hostname()) &&
	effectivePort(u) == effectivePort(s.baseURL)`,
		Replace: `own := host == strings.ToLower(s.baseURL.Hostname())`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthNoOpenRedirect$`,
	},
	{
		ID: "fwd-return-cookie", Attack: 9,
		What:    "the return cookie is believed as it comes (a planted one redirects anywhere)",
		Func:    "(*Server).pendingReturn",
		Find:    `return s.returnTarget(r.Context(), string(raw))`,
		Replace: `return string(raw), nil`,
		Pkg:     "./internal/web", Run: `^TestForwardAuthNoOpenRedirect$`,
	},

	// Issue 16: the OpenID Connect provider (attack numbers as above:
	// 3 reusing a code or token, 1 skipping a step of the login).
	{
		ID: "oidc-code-once", Attack: 3,
		What:    "an authorization code redeemed again",
		Func:    "sqlstore.redeemCode",
		Find:    `WHERE id = $1 AND code_hash = $2 AND code_used_at IS NULL AND code_expires_at > $3`,
		Replace: `WHERE id = $1 AND code_hash = $2 AND code_expires_at > $3`,
		Pkg:     "./internal/store/...", Run: `^TestConformance$/^IssueTokensCode`,
	},
	{
		ID: "oidc-refresh-reuse", Attack: 3,
		What:    "a rotated refresh token presented again does not revoke its family",
		Func:    "(*storage).activeToken",
		Find:    `if kind == store.TokenRefresh && !t.UsedAt.IsZero() && t.RevokedAt.IsZero() {`,
		Replace: `if false {`,
		Pkg:     "./cmd/portal", Run: `^TestOIDC$/^sqlite$`,
	},
	{
		ID: "oidc-admins-only", Attack: 1,
		What:    "an application for administrators signs a provider in",
		Func:    "(*Provider).Resume",
		Find:    `if !apps.MayUse(a, sess.User) {`,
		Replace: `if !apps.MayUse(a, sess.User) && false {`,
		Pkg:     "./cmd/portal", Run: `^TestOIDC$/^sqlite$`,
	},
	{
		ID: "oidc-pkce-public", Attack: 1,
		What:    "a public client starts a sign-in without PKCE",
		Func:    "(*storage).CreateAuthRequest",
		Find:    `if a.Public && req.CodeChallenge == "" {`,
		Replace: `if false {`,
		Pkg:     "./cmd/portal", Run: `^TestOIDC$/^sqlite$`,
	},
	{
		ID: "oidc-prompt-login", Attack: 1,
		What:    "prompt=login and max_age are answered with the old login",
		Func:    "loginSatisfies",
		Find:    `fresh = now.Sub(sess.AuthenticatedAt) <= maxAge`,
		Replace: `fresh = now.Sub(sess.AuthenticatedAt) <= maxAge || true`,
		Pkg:     "./cmd/portal", Run: `^TestOIDC$/^sqlite$`,
	},
	{
		ID: "console-app-create-admin", Attack: 1,
		What:    "the console's Create application takes any logged-in session, not only a fresh administrator's",
		Func:    "(*Server).Handler",
		Find:    `console.handle("POST /admin/applications/new", s.adminAppCreate)`,
		Replace: `full.handle("POST /admin/applications/new", s.adminAppCreate)`,
		Pkg:     "./internal/web", Run: `^(TestAdminAppsForbiddenToProviders|TestAdminAppsStaleLoginMustConfirm)$`,
	},
	{
		ID: "app-create-authorize", Attack: 1,
		What:    "admin.CreateApplication registers an application for anyone (the console and the command line rely on it)",
		Func:    "(*Service).CreateApplication",
		Find:    `if err := s.Authorize(a); err != nil {`,
		Replace: `if err := s.Authorize(a); err != nil && false {`,
		Pkg:     "./internal/admin", Run: `^TestApplicationActionsNeedAFreshAdministrator$`,
	},
	{
		ID: "console-app-confirm", Attack: 5,
		What:    "Rotate secret and Disable act on the first post, without asking to confirm",
		Func:    "(*Server).adminAppAction",
		Find:    `if r.PostForm.Get("confirm") != "yes" {`,
		Replace: `if false {`,
		Pkg:     "./internal/web", Run: `^(TestAdminAppsRotateSecret|TestAdminAppsDisable)$`,
	},
	{
		ID: "oidc-post-logout-exact", Attack: 9,
		What:    "RP-initiated logout redirects to any post_logout_redirect_uri of an application that registered one (an open redirect)",
		Func:    "PostLogoutAllowed",
		Find:    `return slices.Contains(registered, uri)`,
		Replace: `return len(registered) > 0 || slices.Contains(registered, uri)`,
		Pkg:     "./cmd/portal", Run: `^TestOIDCLogout$/^sqlite$`,
	},
	{
		ID: "oidc-logout-hint", Attack: 4,
		What:    "a logout link without the account's ID token ends the browser's portal session",
		Func:    "(*storage).TerminateSessionFromRequest",
		Find:    `if req.UserID != "" && b.Subject == req.UserID && b.End != nil {`,
		Replace: `if b.End != nil {`,
		Pkg:     "./cmd/portal", Run: `^TestOIDCLogout$/^sqlite$`,
	},
	{
		ID: "oidc-backchannel-sent", Attack: 4,
		What:    "sessions that end tell no application (no back-channel logout, refresh tokens live on)",
		Func:    "(*Service).Commit",
		Find:    `c.OIDCSubject = s.Applications.Subject(c.UserID)`,
		Replace: `_ = s.Applications.Subject(c.UserID)`,
		Pkg:     "./cmd/portal", Run: `^TestOIDCBackchannel$/^sqlite$`,
	},
	{
		ID: "oidc-logout-token-event", Attack: 4,
		What:    "the logout token lacks the back-channel logout event",
		Func:    "(*Provider).logoutToken",
		Find:    `"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},`,
		Replace: `"events": map[string]any{},`,
		Pkg:     "./cmd/portal", Run: `^TestOIDCBackchannel$/^sqlite$`,
	},
	{
		ID: "app-secret", Attack: 10,
		What:    "any client secret is accepted",
		Func:    "SecretMatches",
		Find:    `return subtle.ConstantTimeCompare(HashSecret(secret), a.SecretHash) == 1`,
		Replace: `return subtle.ConstantTimeCompare(HashSecret(secret), a.SecretHash) == 1 || true`,
		Pkg:     "./internal/apps", Run: `^TestNewAndSecret$`,
	},
}
