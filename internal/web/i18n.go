package web

import (
	"golang.org/x/text/language"

	"github.com/invitectl/invitectl/internal/invite"
)

// acceptLanguage returns the language we speak that an Accept-Language
// header asks for first, or "" when it asks for neither (or cannot be read).
// golang.org/x/text/language parses the header (q-values, ranges such as
// sv-SE or en-US, "*") and matches it against what we speak, so entries are
// weighed by quality, earlier ones winning ties; a header it cannot parse is
// ignored as a whole, and the page's other hints decide.
//
// Only a match of confidence High or better counts. A lower one is the
// matcher's guess from a related language, and a Norwegian or Danish reader
// is better served by the invitation's language, which the administrator
// chose for them, than by a guess that they read Swedish. Such a header
// still gets Swedish or English when it also names one of them.
func acceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, i, confidence := languageMatcher.Match(tags...)
	if confidence < language.High {
		return ""
	}
	return pageLanguages[i]
}

// pageLanguages are the languages pages are written in; languageMatcher
// matches requests against them in this order.
var pageLanguages = []string{invite.Swedish, invite.English}

var languageMatcher = language.NewMatcher([]language.Tag{language.Swedish, language.English})

// catalog holds every text the pages show, per language. Keys are shared by
// both languages; a test checks that each one exists in both and that every
// key the templates use is here.
var catalog = map[string]map[string]string{
	invite.Swedish: {
		"site.name":   "Konto",
		"lang.switch": "Byt språk",

		"form.title":                    "Skapa ditt konto",
		"form.intro":                    "Du har blivit inbjuden att skapa ett konto. Kontrollera uppgifterna, välj ett lösenord och skicka formuläret.",
		"form.details":                  "Dina uppgifter",
		"form.name":                     "Namn",
		"form.email":                    "E-postadress",
		"form.customer":                 "Organisation",
		"form.errors":                   "Något behöver rättas",
		"form.retype":                   "Av säkerhetsskäl sparas inte lösenordet i formuläret. Skriv det igen i båda fälten.",
		"form.retype_all":               "Av säkerhetsskäl sparas inte lösenorden i formuläret. Skriv dem igen i alla tre fälten.",
		"form.password":                 "Välj lösenord",
		"form.password_hint":            "Minst 12 tecken. En fras med flera ord är lätt att komma ihåg och svår att gissa.",
		"form.password_confirm":         "Upprepa lösenordet",
		"form.language":                 "Språk för ditt konto",
		"form.privacy":                  "Integritet",
		"form.privacy_hint":             "Läs hur vi hanterar dina uppgifter:",
		"form.privacy_link":             "integritetspolicyn (öppnas i en ny flik)",
		"form.accept_privacy":           "Jag har läst och godkänner integritetspolicyn",
		"form.submit":                   "Skapa konto",
		"error.password_confirm":        "Lösenorden är inte likadana. Skriv samma lösenord i båda fälten.",
		"error.language":                "Välj ett språk.",
		"error.accept_privacy":          "Du behöver godkänna integritetspolicyn för att kunna skapa ett konto.",
		"error.current_password":        "Det nuvarande lösenordet stämmer inte.",
		"error.current_password_locked": "För många felaktiga lösenord. Vänta en stund och försök igen.",

		"account.title":                 "Ditt konto",
		"account.signed_in_as":          "Inloggad som",
		"account.ready":                 "Ditt konto är klart och din e-postadress är bekräftad.",
		"account.password_changed":      "Ditt lösenord har ändrats och du är inloggad.",
		"account.personal_number":       "Personnummer",
		"account.phone":                 "Telefonnummer",
		"account.language":              "Språk",
		"account.change_password":       "Byt lösenord",
		"account.change_password_hint":  "När du har bytt lösenord loggas du ut överallt utom här.",
		"account.current_password":      "Nuvarande lösenord",
		"account.forgot":                "Har du glömt ditt nuvarande lösenord?",
		"account.password_changed_here": "Ditt lösenord har ändrats. Du är utloggad överallt utom här.",
		"account.language_hint":         "Sidorna och e-postmeddelandena till dig är på det språket.",
		"account.save_language":         "Spara språket",
		"account.language_saved":        "Språket för ditt konto är sparat.",
		"account.sign_out":              "Logga ut",

		"login.title":    "Logga in",
		"login.password": "Lösenord",
		"login.submit":   "Logga in",
		"login.link":     "Logga in",
		"login.failed":   "Fel e-postadress eller lösenord.",
		"login.locked":   "För många misslyckade försök med den här e-postadressen. Vänta en stund och försök igen.",
		"login.forgot":   "Har du glömt lösenordet?",

		"forgot.title":     "Glömt lösenordet",
		"forgot.intro":     "Skriv e-postadressen till ditt konto, så skickar vi en länk där du kan välja ett nytt lösenord.",
		"forgot.submit":    "Skicka länk",
		"forgot.link":      "Be om en ny länk",
		"forgot.sent":      "Om det finns ett konto med den adressen har vi skickat ett e-postmeddelande med en länk.",
		"forgot.sent_next": "Länken fungerar en gång och i en timme. Titta också i skräpposten om meddelandet dröjer.",

		"reset.title":         "Välj ett nytt lösenord",
		"reset.intro":         "När du har valt ett nytt lösenord loggas du in här och ut överallt annars.",
		"reset.password":      "Nytt lösenord",
		"reset.submit":        "Spara lösenordet",
		"reset.unknown.title": "Länken fungerar inte",
		"reset.unknown.body":  "Den här länken för att återställa lösenordet är inte giltig. Kontrollera att du öppnade hela länken från e-postmeddelandet.",
		"reset.used.title":    "Länken fungerar inte längre",
		"reset.used.body":     "Länken har redan använts, eller så har lösenordet ändrats sedan den skickades. Be om en ny länk om du behöver.",
		"reset.expired.title": "Länken har gått ut",
		"reset.expired.body":  "Länken för att återställa lösenordet gällde i en timme och har gått ut. Be om en ny länk.",

		"signed_out.title": "Du är inte inloggad",
		"signed_out.body":  "Du är inte inloggad. Om du precis har loggat ut kan du stänga den här sidan, eller logga in igen.",

		"privacy.title": "Integritetspolicy",

		"link.unknown.title":   "Länken fungerar inte",
		"link.unknown.body":    "Den här inbjudningslänken är inte giltig. Kontrollera att du öppnade hela länken från e-postmeddelandet.",
		"link.unknown.next":    "Om det ändå inte fungerar, kontakta administratören som bjöd in dig.",
		"link.expired.title":   "Länken har gått ut",
		"link.expired.body":    "Den här inbjudningslänken har gått ut och kan inte användas längre.",
		"link.expired.next":    "Kontakta administratören som skickade inbjudan. Hen kan skicka en ny länk till dig.",
		"link.revoked.title":   "Inbjudan är återkallad",
		"link.revoked.body":    "Den här inbjudan har återkallats och kan inte användas för att skapa ett konto.",
		"link.revoked.next":    "Om du tror att det är fel, kontakta administratören som bjöd in dig.",
		"link.used.title":      "Du har redan registrerat dig",
		"link.used.body":       "Den här inbjudningslänken har redan använts för att skapa ditt konto. Den kan bara användas en gång.",
		"link.used.next":       "Logga in med din e-postadress och ditt lösenord. Om det inte var du som registrerade dig, kontakta administratören.",
		"account_exists.title": "Kontot finns redan",
		"account_exists.body":  "Det finns redan ett konto med den här e-postadressen. Inget nytt konto skapades.",
		"account_exists.next":  "Om du behöver hjälp med ditt konto, kontakta administratören som bjöd in dig.",

		"not_found.title":    "Sidan finns inte",
		"not_found.body":     "Sidan du söker finns inte.",
		"not_found.next":     "Om du följde en inbjudningslänk, kontrollera att du öppnade hela länken från e-postmeddelandet.",
		"not_allowed.title":  "Det går inte att göra så här",
		"not_allowed.body":   "Sidan kan inte användas på det sättet.",
		"cross_origin.title": "Formuläret avvisades",
		"cross_origin.body":  "Formuläret skickades från en annan webbplats och avvisades av säkerhetsskäl. Inget har sparats.",
		"cross_origin.next":  "Öppna länken från ditt e-postmeddelande och försök igen.",
		"too_large.title":    "För mycket data",
		"too_large.body":     "Det som skickades var för stort. Inget har sparats.",
		"bad_request.title":  "Felaktig förfrågan",
		"bad_request.body":   "Förfrågan kunde inte läsas. Inget har sparats.",
		"too_many.title":     "För många försök",
		"too_many.body":      "Det har kommit för många förfrågningar från din anslutning på kort tid.",
		"too_many.next":      "Vänta en stund och försök igen.",
		"internal.title":     "Något gick fel",
		"internal.body":      "Något gick fel hos oss. Försök igen om en stund.",
		"internal.next":      "Om felet finns kvar, kontakta administratören som bjöd in dig.",
	},
	invite.English: {
		"site.name":   "Account",
		"lang.switch": "Change language",

		"form.title":                    "Create your account",
		"form.intro":                    "You have been invited to create an account. Check your details, choose a password and send the form.",
		"form.details":                  "Your details",
		"form.name":                     "Name",
		"form.email":                    "Email address",
		"form.customer":                 "Organization",
		"form.errors":                   "There is a problem",
		"form.retype":                   "For your security the password is not kept in the form. Type it again in both fields.",
		"form.retype_all":               "For your security the passwords are not kept in the form. Type them again in all three fields.",
		"form.password":                 "Choose a password",
		"form.password_hint":            "At least 12 characters. A phrase of several words is easy to remember and hard to guess.",
		"form.password_confirm":         "Repeat the password",
		"form.language":                 "Language for your account",
		"form.privacy":                  "Privacy",
		"form.privacy_hint":             "Read how your details are handled:",
		"form.privacy_link":             "the privacy policy (opens in a new tab)",
		"form.accept_privacy":           "I have read and accept the privacy policy",
		"form.submit":                   "Create account",
		"error.password_confirm":        "The passwords are not the same. Type the same password in both fields.",
		"error.language":                "Choose a language.",
		"error.accept_privacy":          "You need to accept the privacy policy to create an account.",
		"error.current_password":        "The current password is wrong.",
		"error.current_password_locked": "Too many wrong passwords. Wait a while and try again.",

		"account.title":                 "Your account",
		"account.signed_in_as":          "Signed in as",
		"account.ready":                 "Your account is ready and your email address is confirmed.",
		"account.password_changed":      "Your password has been changed and you are signed in.",
		"account.personal_number":       "Personal number",
		"account.phone":                 "Phone number",
		"account.language":              "Language",
		"account.change_password":       "Change password",
		"account.change_password_hint":  "Once it is changed, you are signed out everywhere but here.",
		"account.current_password":      "Current password",
		"account.forgot":                "Forgot your current password?",
		"account.password_changed_here": "Your password has been changed. You are signed out everywhere but here.",
		"account.language_hint":         "Your pages and the emails you get are in that language.",
		"account.save_language":         "Save the language",
		"account.language_saved":        "The language of your account has been saved.",
		"account.sign_out":              "Sign out",

		"login.title":    "Sign in",
		"login.password": "Password",
		"login.submit":   "Sign in",
		"login.link":     "Sign in",
		"login.failed":   "The email address or the password is wrong.",
		"login.locked":   "Too many failed attempts with this email address. Wait a while and try again.",
		"login.forgot":   "Forgot your password?",

		"forgot.title":     "Forgot your password",
		"forgot.intro":     "Type the email address of your account, and we will send you a link where you can choose a new password.",
		"forgot.submit":    "Send link",
		"forgot.link":      "Ask for a new link",
		"forgot.sent":      "If there is an account with that address, we have sent it an email with a link.",
		"forgot.sent_next": "The link works once, for one hour. If the email does not arrive, look in your spam folder too.",

		"reset.title":         "Choose a new password",
		"reset.intro":         "Once you have chosen a new password, you are signed in here and signed out everywhere else.",
		"reset.password":      "New password",
		"reset.submit":        "Save the password",
		"reset.unknown.title": "This link does not work",
		"reset.unknown.body":  "This password reset link is not valid. Check that you opened the whole link from the email.",
		"reset.used.title":    "This link no longer works",
		"reset.used.body":     "The link was used already, or the password changed since it was sent. Ask for a new link if you need one.",
		"reset.expired.title": "This link has expired",
		"reset.expired.body":  "The password reset link was valid for one hour and has expired. Ask for a new link.",

		"signed_out.title": "You are not signed in",
		"signed_out.body":  "You are not signed in. If you have just signed out, you can close this page, or sign in again.",

		"privacy.title": "Privacy policy",

		"link.unknown.title":   "This link does not work",
		"link.unknown.body":    "This invitation link is not valid. Check that you opened the whole link from the email.",
		"link.unknown.next":    "If it still does not work, contact the administrator who invited you.",
		"link.expired.title":   "This link has expired",
		"link.expired.body":    "This invitation link has expired and can no longer be used.",
		"link.expired.next":    "Contact the administrator who sent you the invitation. They can send you a new link.",
		"link.revoked.title":   "This invitation was withdrawn",
		"link.revoked.body":    "This invitation has been revoked and cannot be used to create an account.",
		"link.revoked.next":    "If you think this is a mistake, contact the administrator who invited you.",
		"link.used.title":      "You have already registered",
		"link.used.body":       "This invitation link has already been used to create your account. It can only be used once.",
		"link.used.next":       "Sign in with your email address and password. If you did not register yourself, contact the administrator.",
		"account_exists.title": "The account already exists",
		"account_exists.body":  "An account with this email address already exists. No new account was created.",
		"account_exists.next":  "If you need help with your account, contact the administrator who invited you.",

		"not_found.title":    "Page not found",
		"not_found.body":     "The page you are looking for does not exist.",
		"not_found.next":     "If you followed an invitation link, check that you opened the whole link from the email.",
		"not_allowed.title":  "This cannot be done here",
		"not_allowed.body":   "This page cannot be used that way.",
		"cross_origin.title": "The form was refused",
		"cross_origin.body":  "The form was sent from another website and was refused for your security. Nothing was saved.",
		"cross_origin.next":  "Open the link from your email and try again.",
		"too_large.title":    "Too much data",
		"too_large.body":     "What was sent is too large. Nothing was saved.",
		"bad_request.title":  "Bad request",
		"bad_request.body":   "The request could not be read. Nothing was saved.",
		"too_many.title":     "Too many attempts",
		"too_many.body":      "Too many requests came from your connection in a short time.",
		"too_many.next":      "Wait a moment and try again.",
		"internal.title":     "Something went wrong",
		"internal.body":      "Something went wrong on our side. Try again in a while.",
		"internal.next":      "If it keeps happening, contact the administrator who invited you.",
	},
}

// text looks up a catalog entry, falling back to Swedish and then to the key
// itself (which the catalog test makes impossible for keys in templates).
func text(lang, key string) string {
	if s, ok := catalog[lang][key]; ok {
		return s
	}
	if s, ok := catalog[invite.Swedish][key]; ok {
		return s
	}
	return key
}
