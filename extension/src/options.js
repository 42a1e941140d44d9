// The options page: relay URL and rep sign-in (the same form as in the side panel).
import { localize, setDocumentLanguage } from './rep/i18n.js';
import { mountSignInForm } from './rep/signin-form.js';

setDocumentLanguage();
localize();
mountSignInForm();
