"""Dansk."""

STRINGS = {
    "title": "Tandem Support Manager",
    "confirm.heading": "Deltag i din supportsession",
    "confirm.session": "Session {number}",
    "confirm.rep": "Medarbejder: {name}",
    "confirm.server": "Supportsted: {host}",
    "confirm.explain": "Når du deltager, kan din medarbejder bede om at se eller styre din skærm. "
                       "Intet deles, før du giver lov, og du kan stoppe når som helst.",
    "confirm.checking": "Kontrollerer sessionen…",
    "enter.heading": "Deltag i en supportsession",
    "enter.intro": "Indtast sessionsnummeret og parringskoden fra din sessionsside.",
    "enter.number": "Sessionsnummer",
    "enter.code": "Parringskode",
    "enter.relay": "Supportstedets adresse",
    "button.join": "Deltag",
    "button.cancel": "Annuller",
    "button.retry": "Prøv igen",
    "button.leave": "Forlad sessionen",
    "button.close": "Luk",
    "joining": "Deltager…",
    "joined.heading": "Du er med i sessionen",
    "joined.text": "Support Manager er forbundet til session {number}. Din medarbejder spørger, før de ser eller "
                   "styrer noget. Lad vinduet være åbent: lukker du det, afbrydes Support Manager.",
    "ended.text": "Support Manager har forladt sessionen.",
    "error.unreachable": "Kan ikke nå {host}. Kontrollér din internetforbindelse, og prøv igen.",
    "error.refused": "{host} godtog ikke dette sessionsnummer og denne kode. En kode virker én gang og i "
                     "10 minutter: hent en ny på din sessionsside.",
    "error.used": "Denne download er allerede brugt, eller en nyere download har erstattet den. Hent Support "
                  "Manager igen fra din sessionsside, eller indtast en ny parringskode.",
    "error.expired": "Denne download er udløbet. Hent Support Manager igen fra din sessionsside, eller indtast "
                     "en ny parringskode.",
    "error.ended": "Session {number} er afsluttet. Bed din medarbejder om en ny session.",
    "error.invalid": "{host} kender ikke denne download. Hent Support Manager igen fra din sessionsside.",
    "error.number": "Et sessionsnummer har 9 cifre.",
    "error.code": "En parringskode har 6 cifre.",
    "error.relay": "Indtast supportstedets adresse, for eksempel https://support.example.com.",
    "error.stopped": "Support Manager stoppede uventet: {error}",
    "error.no_window": "Support Manager kan ikke åbne sit vindue her ({error}). Fra en terminal: "
                       "tandem-agent pair --relay URL NUMMER KODE",
    "screen.wayland": "Dette skrivebord kører Wayland, hvor Support Manager ikke kan se skærmen: deling af skrivebord og programmer kræver en X11-session (vælg \"Ubuntu on Xorg\" eller \"GNOME on Xorg\", når du logger ind). Filoverførsel virker.",
    "screen.no_display": "Der er ingen skærm her (intet display), så kun filoverførsel er mulig.",
    "picker.title": "Tandem Support Manager — vælg et program",
    "picker.heading": "{name} beder om at se et af dine programmer",
    "picker.intro": "Vælg det vindue, der skal deles. Kun det vindue vises, og du kan stoppe når som helst.",
    "picker.share": "Del dette vindue",
    "picker.cancel": "Annuller",
    "picker.none": "Der er ikke åbnet noget programvindue.",
    "picker.closed": "Det delte vindue \"{title}\" blev lukket: delingen er stoppet.",
}
