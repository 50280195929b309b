package billing

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/money"
)

// The CSV export has a column per field of the JSON form, derived from
// the CDR struct's json tags, so a field added to the CDR cannot be
// missing from the CSV. Nested objects are flattened with dots:
// charge.amount, media.packets_in, recording.path.

// csvColumn is one column: its name and where its value is in a CDR.
type csvColumn struct {
	name  string
	index []int // reflect field index path from CDR
}

var cdrColumns = columnsOf(reflect.TypeFor[CDR](), "", nil)

// CSVHeader lists the CSV columns, named as the JSON keys.
var CSVHeader = func() []string {
	names := make([]string, len(cdrColumns))
	for i, c := range cdrColumns {
		names[i] = c.name
	}
	return names
}()

var (
	timeType    = reflect.TypeFor[time.Time]()
	decimalType = reflect.TypeFor[decimal.Decimal]()
)

func columnsOf(t reflect.Type, prefix string, index []int) []csvColumn {
	var cols []csvColumn
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := append(append([]int(nil), index...), i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != timeType && ft != decimalType {
			cols = append(cols, columnsOf(ft, prefix+name+".", path)...)
			continue
		}
		cols = append(cols, csvColumn{name: prefix + name, index: path})
	}
	return cols
}

// csvRecord is c's row under CSVHeader: times in UTC with milliseconds,
// money with its currency's decimals, absent parts empty.
func csvRecord(c *CDR) []string {
	currency := ""
	if c.Charge != nil {
		currency = c.Charge.Currency
	}
	root := reflect.ValueOf(c).Elem()
	row := make([]string, len(cdrColumns))
	for i, col := range cdrColumns {
		v, err := root.FieldByIndexErr(col.index)
		if err != nil { // inside a nil pointer: no charge, media or recording
			continue
		}
		row[i] = csvValue(v, currency)
	}
	return row
}

func csvValue(v reflect.Value, currency string) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Type() {
	case timeType:
		return v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z")
	case decimalType:
		return money.Format(v.Interface().(decimal.Decimal), currency)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return fmt.Sprint(v.Interface())
}
