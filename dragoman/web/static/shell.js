// Pages with only the header (the error pages): status, language and menu.
import { initShell } from "./common.js";

initShell();
