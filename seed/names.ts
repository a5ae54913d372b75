// Shipped lists for synthetic demographics: common given and family names (frequent US names, not
// real people), street names, and towns with their ZIP codes. Phone numbers use the 555-01xx range
// reserved for fiction; e-mail addresses use example.com; SSN-like numbers start with 999 (never issued).

export const GIVEN_FEMALE = [
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen',
  'Lisa', 'Nancy', 'Betty', 'Sandra', 'Margaret', 'Ashley', 'Kimberly', 'Emily', 'Donna', 'Michelle',
  'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Laura', 'Sharon', 'Cynthia', 'Kathleen',
  'Amy', 'Angela', 'Shirley', 'Brenda', 'Emma', 'Anna', 'Pamela', 'Nicole', 'Samantha', 'Katherine',
  'Christine', 'Helen', 'Rachel', 'Carolyn', 'Janet', 'Maria', 'Olivia', 'Heather', 'Diane', 'Julie',
  'Joyce', 'Victoria', 'Ruth', 'Virginia', 'Lauren', 'Kelly', 'Christina', 'Joan', 'Evelyn', 'Judith',
  'Andrea', 'Hannah', 'Megan', 'Jacqueline', 'Martha', 'Madison', 'Teresa', 'Gloria', 'Sara', 'Ann',
  'Kathryn', 'Abigail', 'Sophia', 'Frances', 'Alice', 'Isabella', 'Julia', 'Grace', 'Amber', 'Denise',
  'Natalie', 'Diana', 'Ava', 'Mia', 'Camila', 'Lucia', 'Sofia', 'Mei', 'Priya', 'Aisha', 'Fatima', 'Yuki',
  'Linh', 'Amara', 'Chloe', 'Zoe', 'Leah', 'Nora', 'Elena', 'Rosa',
] as const;

export const GIVEN_MALE = [
  'James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Christopher',
  'Charles', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Andrew', 'Paul', 'Joshua',
  'Kenneth', 'Kevin', 'Brian', 'George', 'Timothy', 'Ronald', 'Jason', 'Edward', 'Jeffrey', 'Ryan',
  'Jacob', 'Gary', 'Nicholas', 'Eric', 'Jonathan', 'Stephen', 'Larry', 'Justin', 'Scott', 'Brandon',
  'Benjamin', 'Samuel', 'Gregory', 'Alexander', 'Patrick', 'Frank', 'Raymond', 'Jack', 'Dennis', 'Jerry',
  'Tyler', 'Aaron', 'Jose', 'Adam', 'Nathan', 'Henry', 'Zachary', 'Douglas', 'Peter', 'Kyle', 'Noah',
  'Ethan', 'Jeremy', 'Walter', 'Christian', 'Keith', 'Roger', 'Terry', 'Austin', 'Sean', 'Gerald', 'Carl',
  'Harold', 'Dylan', 'Arthur', 'Lawrence', 'Jordan', 'Jesse', 'Bryan', 'Bruce', 'Gabriel', 'Logan', 'Alan',
  'Juan', 'Albert', 'Elijah', 'Wayne', 'Vincent', 'Liam', 'Luis', 'Carlos', 'Miguel', 'Wei', 'Hiroshi',
  'Raj', 'Omar', 'Ahmed', 'Minh', 'Kwame', 'Mateo',
] as const;

/** Family names by the language a family most likely speaks at home (a coarse, synthetic correlation). */
export const FAMILY = {
  en: [
    'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Thomas',
    'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis',
    'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Hill', 'Green', 'Adams', 'Nelson',
    'Baker', 'Hall', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Phillips', 'Evans', 'Turner', 'Parker',
    'Edwards', 'Collins', 'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper', 'Peterson',
    'Bailey', 'Reed', 'Kelly', 'Howard', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks', 'Wood', 'James',
    'Bennett', 'Gray', 'Hughes', 'Price', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Powell',
    'Jenkins', 'Perry', 'Russell', 'Sullivan', 'Bell', 'Coleman', 'Butler', 'Henderson', 'Barnes', 'Fisher',
    'Simmons', 'Jordan', 'Patterson', 'Hamilton', 'Graham', 'Reynolds', 'Griffin', 'Wallace', 'West', 'Cole',
    'Hayes', 'Bryant', 'Gibson', 'Ellis', 'Stevens', 'Murray', 'Ford', 'Marshall', 'Owens', 'Harrison',
    'McDonald', 'Woods', 'Washington', 'Kennedy', 'Wells', 'Henry', 'Freeman', 'Webb', 'Tucker', 'Burns',
    'Crawford', 'Olson', 'Simpson', 'Porter', 'Hunter', 'Gordon', 'Shaw', 'Snyder', 'Mason', 'Dixon', 'Hunt',
    'Hicks', 'Holmes', 'Palmer', 'Wagner', 'Black', 'Robertson', 'Boyd', 'Rose', 'Stone', 'Fox', 'Warren',
    'Mills', 'Meyer', 'Rice', 'Schmidt', 'Daniels', 'Ferguson', 'Nichols', 'Stephens', 'Weaver', 'Ryan',
    'Gardner', 'Payne', 'Grant', 'Dunn', 'Spencer', 'Hawkins', 'Arnold', 'Pierce', 'Hansen', 'Peters',
    'Hart', 'Bradley', 'Knight', 'Elliott', 'Cunningham', 'Duncan', 'Armstrong', 'Hudson', 'Carroll', 'Lane',
    'Riley', 'Andrews', 'Ray', 'Berry', 'Perkins', 'Hoffman', 'Johnston', 'Matthews', 'Richards', 'Willis',
    'Carpenter', 'Lawrence', 'Singh', 'Khan', 'Okafor', 'Mensah', 'Cohen', 'Kim', 'Park', 'Tanaka',
  ],
  es: [
    'Garcia', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Perez', 'Sanchez', 'Ramirez',
    'Torres', 'Flores', 'Rivera', 'Gomez', 'Diaz', 'Cruz', 'Reyes', 'Morales', 'Gutierrez', 'Ortiz', 'Ramos',
    'Chavez', 'Mendoza', 'Ruiz', 'Alvarez', 'Castillo', 'Jimenez', 'Moreno', 'Romero', 'Herrera', 'Medina',
    'Aguilar', 'Vargas', 'Castro', 'Fernandez', 'Guzman', 'Mendez', 'Silva', 'Munoz', 'Salazar', 'Garza',
    'Soto', 'Vazquez', 'Santos', 'Alvarado', 'Delgado', 'Pena', 'Contreras', 'Sandoval', 'Vega', 'Rojas',
  ],
  zh: ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun', 'Ma', 'Zhu', 'Hu', 'Lin'],
  vi: ['Nguyen', 'Tran', 'Le', 'Pham', 'Hoang', 'Phan', 'Vu', 'Dang', 'Bui', 'Do', 'Ho', 'Ngo', 'Duong', 'Ly'],
  ar: ['Haddad', 'Khoury', 'Mansour', 'Saleh', 'Nasser', 'Hassan', 'Ibrahim', 'Aziz', 'Farah', 'Karam'],
  fr: ['Dubois', 'Lefebvre', 'Moreau', 'Laurent', 'Girard', 'Bernard', 'Fournier', 'Rousseau', 'Lambert', 'Bonnet'],
} as const;

export const STREETS = [
  'Maple Street', 'Oak Avenue', 'Cedar Lane', 'Pine Street', 'Elm Street', 'Washington Street', 'Main Street',
  'Park Avenue', 'Lincoln Road', 'Highland Avenue', 'Spring Street', 'Chestnut Street', 'Walnut Street',
  'Franklin Street', 'Prospect Street', 'Pleasant Street', 'Summer Street', 'Winter Street', 'School Street',
  'Church Street', 'Mill Road', 'River Road', 'Lake Shore Drive', 'Hillside Avenue', 'Forest Avenue',
  'Union Street', 'Water Street', 'Central Street', 'Bridge Street', 'Liberty Street', 'Birch Road',
  'Willow Way', 'Sunset Drive', 'Meadow Lane', 'Orchard Street', 'Harbor View Road', 'Beacon Street',
  'Adams Street', 'Jefferson Avenue', 'Crescent Street',
] as const;

/** Towns with a ZIP code of theirs and the telephone area code that serves them (Massachusetts). */
export const TOWNS = [
  { city: 'Worcester', postalCode: '01608', areaCode: '508' },
  { city: 'Springfield', postalCode: '01103', areaCode: '413' },
  { city: 'Lowell', postalCode: '01852', areaCode: '978' },
  { city: 'Cambridge', postalCode: '02139', areaCode: '617' },
  { city: 'Quincy', postalCode: '02169', areaCode: '617' },
  { city: 'Framingham', postalCode: '01702', areaCode: '508' },
  { city: 'Salem', postalCode: '01970', areaCode: '978' },
  { city: 'Brockton', postalCode: '02301', areaCode: '508' },
  { city: 'Newton', postalCode: '02458', areaCode: '617' },
  { city: 'Somerville', postalCode: '02143', areaCode: '617' },
  { city: 'Lynn', postalCode: '01901', areaCode: '781' },
  { city: 'Waltham', postalCode: '02451', areaCode: '781' },
  { city: 'Plymouth', postalCode: '02360', areaCode: '508' },
  { city: 'Pittsfield', postalCode: '01201', areaCode: '413' },
] as const;

export const STATE = 'MA';
