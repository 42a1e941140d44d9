"""Svenska."""

STRINGS = {
    "title": "Tandem Support Manager",
    "confirm.heading": "Anslut till din supportsession",
    "confirm.session": "Session {number}",
    "confirm.rep": "Handläggare: {name}",
    "confirm.server": "Supportwebbplats: {host}",
    "confirm.explain": "När du har anslutit kan din handläggare be om att få se eller styra din skärm. "
                       "Inget delas förrän du tillåter det, och du kan avbryta när som helst.",
    "confirm.checking": "Kontrollerar sessionen…",
    "enter.heading": "Anslut till en supportsession",
    "enter.intro": "Ange sessionsnumret och parkopplingskoden från din sessionssida.",
    "enter.number": "Sessionsnummer",
    "enter.code": "Parkopplingskod",
    "enter.relay": "Supportwebbplatsens adress",
    "button.join": "Anslut",
    "button.cancel": "Avbryt",
    "button.retry": "Försök igen",
    "button.leave": "Lämna sessionen",
    "button.close": "Stäng",
    "joining": "Ansluter…",
    "joined.heading": "Du är med i sessionen",
    "joined.text": "Support Manager är ansluten till session {number}. Din handläggare frågar innan de ser eller "
                   "styr något. Låt fönstret vara öppet: stänger du det kopplas Support Manager från.",
    "ended.text": "Support Manager har lämnat sessionen.",
    "error.unreachable": "Det går inte att nå {host}. Kontrollera internetanslutningen och försök igen.",
    "error.refused": "{host} godtog inte det här sessionsnumret och den här koden. En kod fungerar en gång och i "
                     "10 minuter: hämta en ny på din sessionssida.",
    "error.used": "Den här nedladdningen har redan använts, eller så har en nyare ersatt den. Hämta Support "
                  "Manager igen från din sessionssida, eller ange en ny parkopplingskod.",
    "error.expired": "Den här nedladdningen har gått ut. Hämta Support Manager igen från din sessionssida, "
                     "eller ange en ny parkopplingskod.",
    "error.ended": "Session {number} har avslutats. Be din handläggare om en ny session.",
    "error.invalid": "{host} känner inte igen den här nedladdningen. Hämta Support Manager igen från din "
                     "sessionssida.",
    "error.number": "Ett sessionsnummer har 9 siffror.",
    "error.code": "En parkopplingskod har 6 siffror.",
    "error.relay": "Ange supportwebbplatsens adress, till exempel https://support.example.com.",
    "error.stopped": "Support Manager avslutades oväntat: {error}",
    "error.no_window": "Support Manager kan inte öppna sitt fönster här ({error}). Från en terminal: "
                       "tandem-agent pair --relay URL NUMMER KOD",
    "screen.wayland": "Det här skrivbordet kör Wayland, där Support Manager inte kan se skärmen: delning av skrivbord och program kräver en X11-session (välj \"Ubuntu on Xorg\" eller \"GNOME on Xorg\" när du loggar in). Filöverföring fungerar.",
    "screen.no_display": "Det finns ingen skärm här (ingen display), så bara filöverföring är möjlig.",
    "picker.title": "Tandem Support Manager — välj ett program",
    "picker.heading": "{name} ber att få se ett av dina program",
    "picker.intro": "Välj fönstret som ska delas. Bara det fönstret visas, och du kan sluta när som helst.",
    "picker.share": "Dela det här fönstret",
    "picker.cancel": "Avbryt",
    "picker.none": "Inget programfönster är öppet.",
    "picker.closed": "Det delade fönstret \"{title}\" stängdes: delningen har stoppats.",
}
