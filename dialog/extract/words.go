package extract

// wordKind classifies number words.
type wordKind uint8

const (
	wZero     wordKind = iota + 1
	wUnit              // 1–9
	wTeen              // 10–19 (and es 21–29): fills tens and units
	wTens              // 20, 30 … 90
	wHundreds          // es 100–900, a value of its own
	wHundred           // en "hundred", a multiplier
	wScale             // thousand, million, billion
	wDozen             // 12, a multiplier
	wHalf              // 0.5
	wArticle           // es un/una, en a/an: 1 only in some contexts
)

type numWord struct {
	kind wordKind
	val  float64
}

var esNumWords = map[string]numWord{
	"cero": {wZero, 0},
	"uno":  {wUnit, 1}, "un": {wArticle, 1}, "una": {wArticle, 1},
	"dos": {wUnit, 2}, "tres": {wUnit, 3}, "cuatro": {wUnit, 4}, "cinco": {wUnit, 5},
	"seis": {wUnit, 6}, "siete": {wUnit, 7}, "ocho": {wUnit, 8}, "nueve": {wUnit, 9},
	"diez": {wTeen, 10}, "once": {wTeen, 11}, "doce": {wTeen, 12}, "trece": {wTeen, 13},
	"catorce": {wTeen, 14}, "quince": {wTeen, 15}, "dieciseis": {wTeen, 16},
	"diecisiete": {wTeen, 17}, "dieciocho": {wTeen, 18}, "diecinueve": {wTeen, 19},
	"veinte": {wTens, 20}, "veintiuno": {wTeen, 21}, "veintiun": {wTeen, 21}, "veintiuna": {wTeen, 21},
	"veintidos": {wTeen, 22}, "veintitres": {wTeen, 23}, "veinticuatro": {wTeen, 24},
	"veinticinco": {wTeen, 25}, "veintiseis": {wTeen, 26}, "veintisiete": {wTeen, 27},
	"veintiocho": {wTeen, 28}, "veintinueve": {wTeen, 29},
	"treinta": {wTens, 30}, "cuarenta": {wTens, 40}, "cincuenta": {wTens, 50},
	"sesenta": {wTens, 60}, "setenta": {wTens, 70}, "ochenta": {wTens, 80}, "noventa": {wTens, 90},
	"cien": {wHundreds, 100}, "ciento": {wHundreds, 100},
	"doscientos": {wHundreds, 200}, "doscientas": {wHundreds, 200},
	"trescientos": {wHundreds, 300}, "trescientas": {wHundreds, 300},
	"cuatrocientos": {wHundreds, 400}, "cuatrocientas": {wHundreds, 400},
	"quinientos": {wHundreds, 500}, "quinientas": {wHundreds, 500},
	"seiscientos": {wHundreds, 600}, "seiscientas": {wHundreds, 600},
	"setecientos": {wHundreds, 700}, "setecientas": {wHundreds, 700},
	"ochocientos": {wHundreds, 800}, "ochocientas": {wHundreds, 800},
	"novecientos": {wHundreds, 900}, "novecientas": {wHundreds, 900},
	"mil": {wScale, 1e3}, "millon": {wScale, 1e6}, "millones": {wScale, 1e6},
	"docena": {wDozen, 12}, "docenas": {wDozen, 12},
	"medio": {wHalf, 0.5}, "media": {wHalf, 0.5},
}

var enNumWords = map[string]numWord{
	"zero": {wZero, 0},
	"one":  {wUnit, 1}, "a": {wArticle, 1}, "an": {wArticle, 1},
	"two": {wUnit, 2}, "three": {wUnit, 3}, "four": {wUnit, 4}, "five": {wUnit, 5},
	"six": {wUnit, 6}, "seven": {wUnit, 7}, "eight": {wUnit, 8}, "nine": {wUnit, 9},
	"ten": {wTeen, 10}, "eleven": {wTeen, 11}, "twelve": {wTeen, 12}, "thirteen": {wTeen, 13},
	"fourteen": {wTeen, 14}, "fifteen": {wTeen, 15}, "sixteen": {wTeen, 16},
	"seventeen": {wTeen, 17}, "eighteen": {wTeen, 18}, "nineteen": {wTeen, 19},
	"twenty": {wTens, 20}, "thirty": {wTens, 30}, "forty": {wTens, 40}, "fourty": {wTens, 40},
	"fifty": {wTens, 50}, "sixty": {wTens, 60}, "seventy": {wTens, 70}, "eighty": {wTens, 80},
	"ninety":  {wTens, 90},
	"hundred": {wHundred, 100}, "hundreds": {wHundred, 100},
	"thousand": {wScale, 1e3}, "thousands": {wScale, 1e3},
	"million": {wScale, 1e6}, "millions": {wScale, 1e6},
	"billion": {wScale, 1e9}, "billions": {wScale, 1e9},
	"dozen": {wDozen, 12}, "dozens": {wDozen, 12},
	"half": {wHalf, 0.5},
}

// ordinal day words (dates): "primero", "first", "fifteenth"…
var esOrdinals = map[string]int{
	"primero": 1, "primer": 1, "1ro": 1,
}

var enOrdinals = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
	"seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
	"twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
	"sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
	"twentieth": 20, "thirtieth": 30,
}

// ordinal suffixes glued to digits: 1st, 2nd, 15th, 1º, 1ro, 2do…
var ordSuffix = map[string]bool{
	"st": true, "nd": true, "rd": true, "th": true,
	"º": true, "ª": true, "o": true, "a": true, "ro": true, "ra": true,
	"do": true, "da": true, "er": true, "to": true, "ta": true, "vo": true, "va": true,
	"mo": true, "no": true,
}

var esMonths = map[string]int{
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
	"agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}

var esMonthAbbr = map[string]int{
	"ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8,
	"sep": 9, "sept": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12,
}

var enMonths = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

var enMonthAbbr = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

// weekdays map to time.Weekday values (Sunday = 0).
var esWeekdays = map[string]int{
	"domingo": 0, "lunes": 1, "martes": 2, "miercoles": 3, "jueves": 4, "viernes": 5, "sabado": 6,
}

var enWeekdays = map[string]int{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
}

// unitWords after a number mean it is a quantity or an amount, not a day or
// an hour.
var unitWords = map[string]bool{
	"personas": true, "persona": true, "people": true, "persons": true, "person": true,
	"dolares": true, "dolar": true, "dollars": true, "dollar": true, "bucks": true,
	"soles": true, "sol": true, "euros": true, "euro": true, "pesos": true, "peso": true,
	"libras": true, "pounds": true, "usd": true, "eur": true, "pen": true,
	"dias": true, "dia": true, "days": true, "day": true, "semanas": true, "semana": true,
	"weeks": true, "week": true, "meses": true, "mes": true, "months": true, "month": true,
	"anos": true, "ano": true, "years": true, "year": true, "veces": true, "vez": true, "times": true,
	"minutos": true, "minuto": true, "minutes": true, "minute": true, "min": true, "mins": true,
	"segundos": true, "seconds": true, "kilos": true, "kg": true, "metros": true, "km": true,
	"unidades": true, "units": true, "items": true, "habitaciones": true, "rooms": true,
	"noches": true, "nights": true, "porciento": true, "percent": true, "cuotas": true,
	"adultos": true, "ninos": true, "adults": true, "kids": true, "children": true,
	"mil": true, "millones": true, "thousand": true, "million": true, "hundred": true,
	"boletos": true, "entradas": true, "tickets": true, "pisos": true, "cuadras": true,
}

// digitWords are single spoken digits used inside emails.
var digitWords = map[string]byte{
	"cero": '0', "uno": '1', "dos": '2', "tres": '3', "cuatro": '4', "cinco": '5',
	"seis": '6', "siete": '7', "ocho": '8', "nueve": '9',
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5',
	"six": '6', "seven": '7', "eight": '8', "nine": '9',
}
