"""Norsk bokmål."""

STRINGS = {
    "title": "Tandem Support Manager",
    "confirm.heading": "Bli med i supportøkten din",
    "confirm.session": "Økt {number}",
    "confirm.rep": "Kundebehandler: {name}",
    "confirm.server": "Supportside: {host}",
    "confirm.explain": "Når du er med, kan kundebehandleren be om å se eller styre skjermen din. "
                       "Ingenting deles før du tillater det, og du kan stoppe når som helst.",
    "confirm.checking": "Kontrollerer økten…",
    "enter.heading": "Bli med i en supportøkt",
    "enter.intro": "Skriv inn øktnummeret og paringskoden fra øktsiden din.",
    "enter.number": "Øktnummer",
    "enter.code": "Paringskode",
    "enter.relay": "Adressen til supportsiden",
    "button.join": "Bli med",
    "button.cancel": "Avbryt",
    "button.retry": "Prøv igjen",
    "button.leave": "Forlat økten",
    "button.close": "Lukk",
    "joining": "Kobler til…",
    "joined.heading": "Du er med i økten",
    "joined.text": "Support Manager er koblet til økt {number}. Kundebehandleren spør før de ser eller styrer "
                   "noe. La vinduet være åpent: lukker du det, kobles Support Manager fra.",
    "ended.text": "Support Manager har forlatt økten.",
    "error.unreachable": "Får ikke kontakt med {host}. Sjekk internettforbindelsen og prøv igjen.",
    "error.refused": "{host} godtok ikke dette øktnummeret og denne koden. En kode virker én gang og i "
                     "10 minutter: hent en ny på øktsiden din.",
    "error.used": "Denne nedlastingen er allerede brukt, eller en nyere nedlasting har erstattet den. Last ned "
                  "Support Manager på nytt fra øktsiden din, eller skriv inn en ny paringskode.",
    "error.expired": "Denne nedlastingen er utløpt. Last ned Support Manager på nytt fra øktsiden din, eller "
                     "skriv inn en ny paringskode.",
    "error.ended": "Økt {number} er avsluttet. Be kundebehandleren om en ny økt.",
    "error.invalid": "{host} kjenner ikke igjen denne nedlastingen. Last ned Support Manager på nytt fra "
                     "øktsiden din.",
    "error.number": "Et øktnummer har 9 sifre.",
    "error.code": "En paringskode har 6 sifre.",
    "error.relay": "Skriv inn adressen til supportsiden, for eksempel https://support.example.com.",
    "error.stopped": "Support Manager stoppet uventet: {error}",
    "error.no_window": "Support Manager kan ikke åpne vinduet sitt her ({error}). Fra en terminal: "
                       "tandem-agent pair --relay URL NUMMER KODE",
    "screen.wayland": "Dette skrivebordet kjører Wayland, der Support Manager ikke kan se skjermen: deling av skrivebord og programmer krever en X11-økt (velg «Ubuntu on Xorg» eller «GNOME on Xorg» når du logger inn). Filoverføring virker.",
    "screen.no_display": "Det finnes ingen skjerm her (ingen display), så bare filoverføring er mulig.",
    "picker.title": "Tandem Support Manager — velg et program",
    "picker.heading": "{name} ber om å se ett av programmene dine",
    "picker.intro": "Velg vinduet som skal deles. Bare det vinduet vises, og du kan stoppe når som helst.",
    "picker.share": "Del dette vinduet",
    "picker.cancel": "Avbryt",
    "picker.none": "Ingen programvinduer er åpne.",
    "picker.closed": "Det delte vinduet «{title}» ble lukket: delingen er stoppet.",
}
