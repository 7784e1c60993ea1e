package ndpi

// Category is nDPI's ndpi_protocol_category_t: the numeric ids are nDPI's, the
// names are what ndpi_category_get_name returns and ntopng shows.
type Category uint8

// Category ids from nDPI's ndpi_typedefs.h. Ids 20-24 are nDPI's user-defined
// custom categories and 35-98 are unused.
const (
	CategoryUnspecified      Category = 0
	CategoryMedia            Category = 1
	CategoryVPN              Category = 2
	CategoryMail             Category = 3
	CategoryDataTransfer     Category = 4
	CategoryWeb              Category = 5
	CategorySocialNetwork    Category = 6
	CategoryDownload         Category = 7
	CategoryGame             Category = 8
	CategoryChat             Category = 9
	CategoryVoIP             Category = 10
	CategoryDatabase         Category = 11
	CategoryRemoteAccess     Category = 12
	CategoryCloud            Category = 13
	CategoryNetwork          Category = 14
	CategoryCollaborative    Category = 15
	CategoryRPC              Category = 16
	CategoryStreaming        Category = 17
	CategorySystem           Category = 18
	CategorySoftwareUpdate   Category = 19
	CategoryCustom1          Category = 20
	CategoryCustom2          Category = 21
	CategoryCustom3          Category = 22
	CategoryCustom4          Category = 23
	CategoryCustom5          Category = 24
	CategoryMusic            Category = 25
	CategoryVideo            Category = 26
	CategoryShopping         Category = 27
	CategoryProductivity     Category = 28
	CategoryFileSharing      Category = 29
	CategoryConnCheck        Category = 30
	CategoryIoTScada         Category = 31
	CategoryVirtualAssistant Category = 32
	CategoryCybersecurity    Category = 33
	CategoryAdultContent     Category = 34
	CategoryMining           Category = 99
	CategoryMalware          Category = 100
	CategoryAdvertisement    Category = 101
	CategoryBannedSite       Category = 102
	CategorySiteUnavailable  Category = 103
	CategoryAllowedSite      Category = 104
	CategoryAntimalware      Category = 105
	CategoryCryptoCurrency   Category = 106
	CategoryGambling         Category = 107
	numCategories                     = 108 // nDPI's NDPI_PROTOCOL_NUM_CATEGORIES
)

// categoryNames is indexed by Category; "" marks an id nDPI does not use.
// The custom categories carry nDPI's default labels (users may rename them
// in nDPI; flowgate does not support that).
var categoryNames = [numCategories]string{
	CategoryUnspecified:      "Unspecified",
	CategoryMedia:            "Media",
	CategoryVPN:              "VPN",
	CategoryMail:             "Email",
	CategoryDataTransfer:     "DataTransfer",
	CategoryWeb:              "Web",
	CategorySocialNetwork:    "SocialNetwork",
	CategoryDownload:         "Download",
	CategoryGame:             "Game",
	CategoryChat:             "Chat",
	CategoryVoIP:             "VoIP",
	CategoryDatabase:         "Database",
	CategoryRemoteAccess:     "RemoteAccess",
	CategoryCloud:            "Cloud",
	CategoryNetwork:          "Network",
	CategoryCollaborative:    "Collaborative",
	CategoryRPC:              "RPC",
	CategoryStreaming:        "Streaming",
	CategorySystem:           "System",
	CategorySoftwareUpdate:   "SoftwareUpdate",
	CategoryCustom1:          "User custom category 1",
	CategoryCustom2:          "User custom category 2",
	CategoryCustom3:          "User custom category 3",
	CategoryCustom4:          "User custom category 4",
	CategoryCustom5:          "User custom category 5",
	CategoryMusic:            "Music",
	CategoryVideo:            "Video",
	CategoryShopping:         "Shopping",
	CategoryProductivity:     "Productivity",
	CategoryFileSharing:      "FileSharing",
	CategoryConnCheck:        "ConnCheck",
	CategoryIoTScada:         "IoT-Scada",
	CategoryVirtualAssistant: "VirtAssistant",
	CategoryCybersecurity:    "Cybersecurity",
	CategoryAdultContent:     "AdultContent",
	CategoryMining:           "Mining",
	CategoryMalware:          "Malware",
	CategoryAdvertisement:    "Advertisement",
	CategoryBannedSite:       "Banned_Site",
	CategorySiteUnavailable:  "Site_Unavailable",
	CategoryAllowedSite:      "Allowed_Site",
	CategoryAntimalware:      "Antimalware",
	CategoryCryptoCurrency:   "Crypto_Currency",
	CategoryGambling:         "Gambling",
}

// String returns the name ntopng shows for c, or "Unspecified" for an id
// nDPI does not define.
func (c Category) String() string {
	if int(c) < len(categoryNames) && categoryNames[c] != "" {
		return categoryNames[c]
	}
	return categoryNames[CategoryUnspecified]
}

// CategoryID looks a category up by its name, ignoring case, as nDPI's
// ndpi_get_category_id does.
func CategoryID(name string) (Category, bool) {
	for i, n := range categoryNames {
		if n != "" && equalFold(n, name) {
			return Category(i), true
		}
	}
	return 0, false
}
